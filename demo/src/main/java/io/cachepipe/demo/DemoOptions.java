package io.cachepipe.demo;

import io.cachepipe.sidecar.cli.DurationConverter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The demo workload's options, shared by {@code demo} and the benchmarks built on it. */
public final class DemoOptions {

  @Option(
      names = "--duration",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "How long the workload runs (default ${DEFAULT-VALUE}).")
  public Duration duration;

  @Option(
      names = "--pg-url",
      paramLabel = "JDBC-URL",
      description = "Use this PostgreSQL (wal_level=logical) instead of an embedded one.")
  String pgUrl;

  @Option(
      names = "--pg-user",
      defaultValue = "postgres",
      description = "User for --pg-url (default ${DEFAULT-VALUE}).")
  String pgUser;

  @Option(
      names = "--pg-password",
      defaultValue = "",
      description =
          "Password for --pg-url (visible in ps and shell history: prefer --pg-password-file or"
              + " PGPASSWORD).")
  String pgPassword;

  @Option(
      names = "--pg-password-file",
      paramLabel = "FILE",
      description = "A file holding the password for --pg-url.")
  java.nio.file.Path pgPasswordFile;

  /** The password for --pg-url: --pg-password, else --pg-password-file's, else PGPASSWORD. */
  String pgPassword() {
    if (!pgPassword.isEmpty()) {
      return pgPassword;
    }
    if (pgPasswordFile != null) {
      return io.cachepipe.core.config.SecretFile.read("--pg-password-file", pgPasswordFile);
    }
    return System.getenv().getOrDefault("PGPASSWORD", "");
  }

  @Option(
      names = "--kafka",
      paramLabel = "BOOTSTRAP",
      description = "Use this Kafka instead of a local broker.")
  String kafka;

  @Option(
      names = "--redis",
      paramLabel = "URL",
      description =
          "Use this Redis (redis://host:port) instead of a redis-server child. Its cp:* keys are deleted first.")
  String redis;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Pipeline settings from this properties file (as `run --config`); the servers' addresses"
              + " and the run's own settings override it, and it the environment's.")
  Path config;

  @Option(
      names = "--write-rate",
      defaultValue = "200",
      description = "Writes per second (default ${DEFAULT-VALUE}).")
  public double writeRate;

  @Option(
      names = "--read-rate",
      defaultValue = "1000",
      description = "Cached reads per second (default ${DEFAULT-VALUE}).")
  public double readRate;

  @Option(
      names = "--near-cache",
      description =
          "Readers read through the cache-client's near cache (in-process, fed by the"
              + " invalidations topic) in front of Redis; the summary adds its figures.")
  public boolean nearCache;

  @Option(
      names = "--warmup",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "The first part of the run that steady_hit_ratio and steady_latency_ms leave out, while"
              + " caches fill and the JVM compiles (default ${DEFAULT-VALUE}).")
  public Duration warmup;

  @Option(
      names = "--users",
      defaultValue = "200",
      description = "Authors to seed, 10 posts each (default ${DEFAULT-VALUE}).")
  int users;

  @Option(
      names = "--admin-port",
      defaultValue = "0",
      paramLabel = "PORT",
      description =
          "Port of the admin HTTP server and its status page (default ${DEFAULT-VALUE}: a free"
              + " port; -1: none).")
  int adminPort;

  @Option(
      names = "--keep-running",
      description =
          "After the run and its audit, keep the servers and the pipeline up (until Ctrl-C) and"
              + " print how to reach them, e.g. to run `cachepipe audit` or `cachepipe db` on them.")
  boolean keepRunning;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Random seed of the workload (default ${DEFAULT-VALUE}).")
  public long seed;
}
