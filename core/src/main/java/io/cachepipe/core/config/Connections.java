package io.cachepipe.core.config;

import java.util.List;

/**
 * Where the servers are.
 *
 * @param postgresUrl JDBC URL of the watched database
 * @param postgresUser its user (needs the REPLICATION attribute for the cdc-connector)
 * @param postgresPassword its password
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param redisUri Redis URI (redis://[user:password@]host:port[/db], rediss:// for TLS)
 */
public record Connections(
    String postgresUrl,
    String postgresUser,
    String postgresPassword,
    String kafkaBootstrap,
    String redisUri) {

  public static final ConfigField<String> POSTGRES_URL =
      ConfigField.string(
          "cachepipe.postgres.url",
          "jdbc:postgresql://127.0.0.1:5432/postgres",
          "JDBC URL of the watched PostgreSQL database.");
  public static final ConfigField<String> POSTGRES_USER =
      ConfigField.string("cachepipe.postgres.user", "postgres", "PostgreSQL user.");
  public static final ConfigField<String> POSTGRES_PASSWORD =
      ConfigField.secret("cachepipe.postgres.password", "", "PostgreSQL password.");
  public static final ConfigField<String> KAFKA_BOOTSTRAP =
      ConfigField.string(
          "kafka.bootstrap.servers", "127.0.0.1:9092", "Kafka bootstrap servers, for every stage.");
  public static final ConfigField<String> REDIS_URI =
      ConfigField.secret(
          "cachepipe.redis.uri",
          "redis://127.0.0.1:6379",
          "Redis URI; rediss:// for TLS, redis://user:password@host:port for AUTH.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD, KAFKA_BOOTSTRAP, REDIS_URI);

  public static Connections from(Settings settings) {
    return new Connections(
        settings.get(POSTGRES_URL),
        settings.get(POSTGRES_USER),
        settings.get(POSTGRES_PASSWORD),
        settings.get(KAFKA_BOOTSTRAP),
        settings.get(REDIS_URI));
  }

  @Override
  public String toString() {
    return "Connections[postgres=" + postgresUrl + ", kafka=" + kafkaBootstrap + "]";
  }
}
