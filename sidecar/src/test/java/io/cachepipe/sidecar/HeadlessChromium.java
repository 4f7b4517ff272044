package io.cachepipe.sidecar;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium, one process per look at a page: the DOM after the page's scripts ran
 * for a while, or a screenshot. Installed with apt-get when missing and this is root; a test that
 * needs it is skipped only when it is absent and cannot be installed.
 */
public final class HeadlessChromium {

  private static final Pattern TAG = Pattern.compile("<(g|svg)\\b([^>]*)>");
  private static final Pattern ATTRIBUTE = Pattern.compile("([\\w-]+)=\"([^\"]*)\"");

  private final Path binary;
  private final Path scratch;

  private HeadlessChromium(Path binary, Path scratch) {
    this.binary = binary;
    this.scratch = scratch;
  }

  /** Chromium, installed first if needed and possible; skips the calling test otherwise. */
  public static HeadlessChromium findOrInstall(Path scratch) throws Exception {
    Optional<Path> found = find();
    if (found.isEmpty() && canInstall()) {
      run(List.of("apt-get", "update", "-q"), 300);
      run(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"), 600);
      found = find();
    }
    assumeTrue(found.isPresent(), "chromium is not installed and cannot be installed here");
    Files.createDirectories(scratch);
    return new HeadlessChromium(found.get(), scratch);
  }

  /** The page's DOM after its scripts ran for {@code budgetMillis} of virtual time. */
  public String dumpDom(String url, int budgetMillis) throws Exception {
    return chromium(url, budgetMillis, "--dump-dom");
  }

  /** Saves what the page shows at 1280x900 after {@code budgetMillis} of virtual time. */
  void screenshot(String url, int budgetMillis, Path png) throws Exception {
    Files.createDirectories(png.toAbsolutePath().getParent());
    Files.deleteIfExists(png);
    chromium(url, budgetMillis, "--screenshot=" + png.toAbsolutePath(), "--window-size=1280,900");
    if (!Files.isRegularFile(png)) {
      throw new IOException("chromium wrote no screenshot to " + png);
    }
  }

  /**
   * The attributes of every {@code <g>} and {@code <svg>} element of {@code dom}, by their {@code
   * data-part} (pipeline nodes that are readiness parts) or {@code id} (charts).
   */
  public static Map<String, Map<String, String>> elements(String dom) {
    Map<String, Map<String, String>> elements = new LinkedHashMap<>();
    Matcher tag = TAG.matcher(dom);
    while (tag.find()) {
      Map<String, String> attributes = new LinkedHashMap<>();
      Matcher a = ATTRIBUTE.matcher(tag.group(2));
      while (a.find()) {
        attributes.put(a.group(1), unescape(a.group(2)));
      }
      String name = attributes.getOrDefault("data-part", attributes.get("id"));
      if (name != null) {
        elements.put(name, attributes);
      }
    }
    return elements;
  }

  private String chromium(String url, int budgetMillis, String... what) throws Exception {
    Path profile = Files.createTempDirectory(scratch, "profile-");
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + profile,
                "--virtual-time-budget=" + budgetMillis));
    command.addAll(List.of(what));
    command.add(url);
    Path stdout = scratch.resolve("chromium.out");
    Path stderr = scratch.resolve("chromium.err");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    try {
      if (!process.waitFor(90, TimeUnit.SECONDS)) {
        throw new IOException("chromium did not finish within 90 s: " + command);
      }
      if (process.exitValue() != 0) {
        throw new IOException(
            "chromium exited " + process.exitValue() + ": " + Files.readString(stderr));
      }
      return Files.readString(stdout, StandardCharsets.UTF_8);
    } finally {
      process.destroyForcibly();
      deleteTree(profile);
    }
  }

  private static Optional<Path> find() {
    String configured = System.getenv("CACHEPIPE_CHROMIUM");
    if (configured != null && Files.isExecutable(Path.of(configured))) {
      return Optional.of(Path.of(configured));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser")) {
        Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean canInstall() {
    return "root".equals(System.getProperty("user.name"))
        && Files.isExecutable(Path.of("/usr/bin/apt-get"));
  }

  private static void run(List<String> command, int timeoutSeconds) throws Exception {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(new File("/dev/null"))
            .start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  private static String unescape(String value) {
    return value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
