package io.cachepipe.core.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where the servers are.
 *
 * @param postgresUrl JDBC URL of the watched database
 * @param postgresUser its user (needs the REPLICATION attribute for the cdc-connector)
 * @param postgresPassword its password
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param redisUri Redis URI (redis://[user:password@]host:port[/db], rediss:// for TLS), with the
 *     credentials of {@code cachepipe.redis.username} and {@code cachepipe.redis.password} in it:
 *     show {@link #redisAddress()} instead. In cluster mode, the seed nodes' URIs, comma-separated
 *     ({@link #redisUris()}), each with the credentials.
 * @param redisCluster whether Redis is a Redis Cluster ({@code cachepipe.redis.mode=cluster})
 * @param redisTls what a {@code rediss://} connection trusts
 */
public record Connections(
    String postgresUrl,
    String postgresUser,
    String postgresPassword,
    String kafkaBootstrap,
    String redisUri,
    boolean redisCluster,
    RedisTls redisTls) {

  /** {@code cachepipe.redis.mode} for a single Redis server (or a primary with replicas). */
  public static final String STANDALONE = "standalone";

  /** {@code cachepipe.redis.mode} for a Redis Cluster. */
  public static final String CLUSTER = "cluster";

  public static final ConfigField<String> POSTGRES_URL =
      ConfigField.url(
          "cachepipe.postgres.url",
          "jdbc:postgresql://127.0.0.1:5432/postgres",
          List.of("jdbc:postgresql://"),
          "JDBC URL of the watched PostgreSQL database; TLS by its parameters (?sslmode=verify-full"
              + "&sslrootcert=...), which the cdc stage's replication connection uses too.");
  public static final ConfigField<String> POSTGRES_USER =
      ConfigField.string("cachepipe.postgres.user", "postgres", "PostgreSQL user.");
  public static final ConfigField<String> POSTGRES_PASSWORD =
      ConfigField.secret("cachepipe.postgres.password", "", "PostgreSQL password.");
  public static final ConfigField<String> POSTGRES_PASSWORD_FILE =
      ConfigField.string(
          "cachepipe.postgres.password.file",
          "",
          "A file holding the PostgreSQL password (a mounted Kubernetes or Compose secret), read"
              + " when cachepipe.postgres.password is empty; else PGPASSWORD applies.");
  public static final ConfigField<String> KAFKA_BOOTSTRAP =
      ConfigField.string(
          "kafka.bootstrap.servers", "127.0.0.1:9092", "Kafka bootstrap servers, for every stage.");
  public static final ConfigField<String> REDIS_URI =
      ConfigField.url(
          "cachepipe.redis.uri",
          "redis://127.0.0.1:6379",
          List.of("redis://", "rediss://"),
          "Redis URI: redis://[[user]:password@]host:port[/db]; rediss:// for TLS. Credentials in"
              + " it are masked wherever configuration is printed. In cluster mode, the seed"
              + " nodes, comma-separated (redis://node1:6379,redis://node2:6379); the rest of the"
              + " cluster is discovered from them.");
  public static final ConfigField<String> REDIS_MODE =
      ConfigField.oneOf(
          "cachepipe.redis.mode",
          STANDALONE,
          List.of(STANDALONE, CLUSTER),
          "standalone: one Redis server; cluster: a Redis Cluster (cachepipe.redis.uri names seed"
              + " nodes). In cluster mode an entry carries the tag versions it was filled against"
              + " and a hit costs one more round trip (an MGET of those versions).");
  public static final ConfigField<String> REDIS_USERNAME =
      ConfigField.string(
          "cachepipe.redis.username",
          "",
          "Redis ACL user for AUTH; empty = the URI's user, else Redis' default user.");
  public static final ConfigField<String> REDIS_PASSWORD =
      ConfigField.secret(
          "cachepipe.redis.password",
          "",
          "Redis password for AUTH; wins over a password in the URI; empty = the URI's, if any.");
  public static final ConfigField<String> REDIS_PASSWORD_FILE =
      ConfigField.string(
          "cachepipe.redis.password.file",
          "",
          "A file holding the Redis password (a mounted Kubernetes or Compose secret), read when"
              + " cachepipe.redis.password is empty.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(
          POSTGRES_URL,
          POSTGRES_USER,
          POSTGRES_PASSWORD,
          POSTGRES_PASSWORD_FILE,
          KAFKA_BOOTSTRAP,
          REDIS_URI,
          REDIS_MODE,
          REDIS_USERNAME,
          REDIS_PASSWORD,
          REDIS_PASSWORD_FILE,
          RedisTls.TRUSTSTORE_PATH,
          RedisTls.TRUSTSTORE_PASSWORD);

  public static Connections from(Settings settings) {
    boolean cluster = settings.get(REDIS_MODE).equals(CLUSTER);
    List<String> uris = seeds(settings.get(REDIS_URI), cluster);
    String username = settings.get(REDIS_USERNAME);
    String password = SecretFile.valueOrFile(settings, REDIS_PASSWORD, REDIS_PASSWORD_FILE);
    return new Connections(
        settings.get(POSTGRES_URL),
        settings.get(POSTGRES_USER),
        SecretFile.valueOrFile(settings, POSTGRES_PASSWORD, POSTGRES_PASSWORD_FILE),
        settings.get(KAFKA_BOOTSTRAP),
        String.join(",", uris.stream().map(u -> withCredentials(u, username, password)).toList()),
        cluster,
        RedisTls.from(settings));
  }

  /**
   * The URIs of {@code value}: itself in standalone mode (a comma may be part of a password there),
   * one or more comma-separated seed nodes in cluster mode, each a redis:// or rediss:// URI.
   */
  private static List<String> seeds(String value, boolean cluster) {
    if (!cluster) {
      if (value.toLowerCase(Locale.ROOT).matches(".*,\\s*rediss?://.*")) {
        throw ConfigException.badValue(
            REDIS_URI.name(),
            "one URI in standalone mode (seed nodes, comma-separated, need "
                + REDIS_MODE.name()
                + "="
                + CLUSTER
                + ")",
            Secrets.maskCredentials(value));
      }
      return List.of(value);
    }
    List<String> uris =
        Arrays.stream(value.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
    if (uris.isEmpty()) {
      throw ConfigException.badValue(
          REDIS_URI.name(), "at least one seed node URI", Secrets.maskCredentials(value));
    }
    for (String uri : uris) {
      if (!uri.regionMatches(true, 0, "redis://", 0, 8)
          && !uri.regionMatches(true, 0, "rediss://", 0, 9)) {
        throw ConfigException.badValue(
            REDIS_URI.name(),
            "comma-separated URIs starting with redis:// or rediss://",
            Secrets.maskCredentials(value));
      }
    }
    return uris;
  }

  /** The Redis URIs: the one server's, or the cluster's seed nodes'. */
  public List<String> redisUris() {
    return redisCluster ? List.of(redisUri.split(",")) : List.of(redisUri);
  }

  /** The Redis URI(s) with their credentials masked, for messages. */
  public String redisAddress() {
    return String.join(",", redisUris().stream().map(Secrets::maskCredentials).toList());
  }

  /**
   * {@code uri} with {@code username} and {@code password}, where not empty, in its userinfo
   * (percent-encoded), replacing those the URI has.
   */
  static String withCredentials(String uri, String username, String password) {
    if (username.isEmpty() && password.isEmpty()) {
      return uri;
    }
    int authority = uri.indexOf("://") + 3;
    int end = authority;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    int at = uri.lastIndexOf('@', end - 1);
    String user = "";
    String pass = "";
    if (at >= authority) {
      // Lettuce reads a userinfo without a colon as a password.
      String userInfo = uri.substring(authority, at);
      int colon = userInfo.indexOf(':');
      user = colon < 0 ? "" : userInfo.substring(0, colon);
      pass = colon < 0 ? userInfo : userInfo.substring(colon + 1);
    }
    if (!username.isEmpty()) {
      user = encode(username);
    }
    if (!password.isEmpty()) {
      pass = encode(password);
    }
    if (pass.isEmpty()) {
      throw new ConfigException(
          REDIS_USERNAME.name()
              + ": a Redis user needs a password ("
              + REDIS_PASSWORD.name()
              + ", or in "
              + REDIS_URI.name()
              + ")");
    }
    String hostAndRest = uri.substring(at >= authority ? at + 1 : authority);
    return uri.substring(0, authority) + user + ":" + pass + "@" + hostAndRest;
  }

  /** Percent-encodes all but RFC 3986's unreserved characters. */
  private static String encode(String text) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "Connections[postgres="
        + Secrets.maskCredentials(postgresUrl)
        + ", kafka="
        + kafkaBootstrap
        + ", redis="
        + redisAddress()
        + "]";
  }
}
