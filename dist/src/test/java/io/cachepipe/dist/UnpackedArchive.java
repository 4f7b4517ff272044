package io.cachepipe.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The distribution archive Maven built for this version (the pom names it), unpacked once per test
 * JVM into a fresh directory: what the Dockerfile copies to /opt/cachepipe.
 */
final class UnpackedArchive {

  private static Path home;

  private UnpackedArchive() {}

  /** The unpacked archive's top directory ({@code cachepipe-VERSION}: bin/, config/, lib/). */
  static synchronized Path home() throws IOException, InterruptedException {
    if (home == null) {
      Path archive = Path.of(System.getProperty("cachepipe.dist.archive"));
      if (!Files.exists(archive)) {
        throw new IllegalStateException(
            archive + " is missing: run the dist module's package phase first");
      }
      Path dir = Files.createTempDirectory("cachepipe-dist-");
      Process tar =
          new ProcessBuilder(
                  "tar", "xzf", archive.toAbsolutePath().toString(), "-C", dir.toString())
              .redirectErrorStream(true)
              .start();
      if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
        throw new IllegalStateException(
            "tar failed: " + new String(tar.getInputStream().readAllBytes()));
      }
      try (Stream<Path> dirs = Files.list(dir)) {
        home = dirs.findFirst().orElseThrow();
      }
    }
    return home;
  }
}
