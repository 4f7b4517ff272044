package io.cachepipe.sidecar;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.sidecar.admin.AdminPort;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cachepipe run}: runs the configured stages until stopped. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the stages named in the configuration (default all) against the PostgreSQL, Kafka and"
          + " Redis it names, until stopped (SIGTERM or Ctrl-C).",
      "Configuration: the properties file, overridden by environment variables (CACHEPIPE_REDIS_URI"
          + " sets cachepipe.redis.uri), overridden by these options."
    })
final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Properties file (see cachepipe.example.properties).")
  Path config;

  @Option(
      names = "--stages",
      paramLabel = "LIST",
      description =
          "Stages to run: all, or any of cdc, invalidator, warmer (overrides cachepipe.stages).")
  String stages;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      description =
          "Admin HTTP port: metrics, health, status page (overrides cachepipe.admin.port; 0 picks"
              + " a free port, -1 turns it off).")
  Integer adminPort;

  @Override
  public Integer call() throws Exception {
    Map<String, String> overrides = new LinkedHashMap<>();
    if (stages != null) {
      overrides.put(SidecarConfig.STAGES.name(), stages);
    }
    if (adminPort != null) {
      overrides.put(AdminConfig.PORT.name(), adminPort.toString());
    }
    Settings settings = SidecarConfig.load(config, System.getenv(), overrides);
    Set<Stage> selected = SidecarConfig.validate(settings);
    ServerCheck.run(Connections.from(settings), selected);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Pipeline pipeline = Pipeline.start(settings, selected, failure::complete);
    AdminPort admin;
    try {
      admin = AdminPort.start(settings, pipeline, Map.of());
    } catch (RuntimeException e) {
      pipeline.close();
      throw e;
    }
    Runnable stop =
        () -> {
          if (admin != null) {
            admin.close();
          }
          pipeline.close();
        };
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  failure.complete(null);
                  stop.run();
                },
                "cachepipe-shutdown"));
    Throwable cause = failure.join();
    if (cause != null) {
      LOG.error("a stage failed, stopping: {}", cause.getMessage());
      stop.run();
      return Main.FAILED;
    }
    return 0;
  }
}
