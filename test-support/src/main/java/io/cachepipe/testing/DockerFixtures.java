package io.cachepipe.testing;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/** Fixtures backed by Testcontainers, for machines where a Docker engine answers. */
final class DockerFixtures {

  static final DockerImageName POSTGRES = DockerImageName.parse("postgres:17");
  static final DockerImageName KAFKA = DockerImageName.parse("apache/kafka:4.1.0");
  static final DockerImageName REDIS = DockerImageName.parse("redis:7");

  private static final String USER = "postgres";

  private DockerFixtures() {}

  /** The same server settings as {@code LocalPostgres}, passed to the image's entry point. */
  static PostgresFixture postgres() {
    PostgreSQLContainer<?> container =
        new PostgreSQLContainer<>(POSTGRES)
            .withUsername(USER)
            .withPassword(USER)
            .withDatabaseName(USER)
            .withCommand(
                "postgres",
                "-c",
                "wal_level=logical",
                "-c",
                "max_wal_senders=32",
                "-c",
                "max_replication_slots=32",
                "-c",
                "shared_preload_libraries=pg_stat_statements",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off");
    container.start();
    return new PostgresFixture(
        container.getHost(),
        container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT),
        USER,
        USER,
        USER,
        container::stop);
  }

  static KafkaFixture kafka() {
    KafkaContainer container =
        new KafkaContainer(KAFKA)
            .withEnv("KAFKA_NUM_PARTITIONS", "1")
            .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true");
    container.start();
    return new KafkaFixture(container.getBootstrapServers(), container::stop);
  }

  static RedisFixture redis() {
    return redis(null);
  }

  /** A Redis that requires {@code AUTH password}; none when {@code password} is null. */
  static RedisFixture redis(String password) {
    GenericContainer<?> container =
        new GenericContainer<>(REDIS)
            .withExposedPorts(6379)
            .withCommand(
                password == null
                    ? new String[] {"redis-server", "--save", "", "--appendonly", "no"}
                    : new String[] {
                      "redis-server", "--save", "", "--appendonly", "no", "--requirepass", password
                    });
    container.start();
    return new RedisFixture(
        container.getHost(), container.getMappedPort(6379), password, container::stop);
  }
}
