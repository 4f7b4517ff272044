package io.cachepipe.testing;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * Where the test servers come from. Chosen once per JVM by the system property {@value #PROPERTY}
 * or the environment variable {@value #ENVIRONMENT}: {@code local}, {@code docker} or {@code auto}
 * (the default: Testcontainers if a Docker engine answers, else local processes).
 */
public enum ServerBackend {
  /** Local processes: {@code LocalPostgres}, {@code KafkaClusterTestKit}, {@code LocalRedis}. */
  LOCAL,
  /** Testcontainers: {@code postgres:17}, {@code apache/kafka}, {@code redis:7} images. */
  DOCKER;

  /** System property that selects the backend. */
  public static final String PROPERTY = "cachepipe.test.servers";

  /** Environment variable that selects the backend when the system property is not set. */
  public static final String ENVIRONMENT = "CACHEPIPE_TEST_SERVERS";

  private static final Logger LOG = LoggerFactory.getLogger(ServerBackend.class);

  /** Reads the setting, asks Docker if it is {@code auto}, and logs the choice and its reason. */
  static ServerBackend choose() {
    String property = System.getProperty(PROPERTY);
    String source = PROPERTY;
    String setting = property;
    if (setting == null || setting.isBlank()) {
      setting = System.getenv(ENVIRONMENT);
      source = ENVIRONMENT;
    }
    if (setting == null || setting.isBlank()) {
      setting = "auto";
      source = "default";
    }
    ServerBackend backend;
    String reason;
    switch (setting.trim().toLowerCase(Locale.ROOT)) {
      case "local":
        backend = LOCAL;
        reason = source + "=local";
        break;
      case "docker":
        backend = DOCKER;
        reason = source + "=docker";
        break;
      case "auto":
        boolean docker = DockerClientFactory.instance().isDockerAvailable();
        backend = docker ? DOCKER : LOCAL;
        reason =
            PROPERTY
                + "=auto ("
                + source
                + ") and "
                + (docker ? "a" : "no")
                + " Docker engine answered";
        break;
      default:
        throw new FixtureException(source + " must be local, docker or auto, was: " + setting);
    }
    LOG.info(
        "test servers: {} because {}",
        backend == LOCAL ? "local processes" : "Testcontainers",
        reason);
    return backend;
  }
}
