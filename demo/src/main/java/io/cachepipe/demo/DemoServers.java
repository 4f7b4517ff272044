package io.cachepipe.demo;

import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.lifecycle.OwnedResources;
import io.cachepipe.servers.LocalKafka;
import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.servers.LocalRedis;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The servers the demo uses: each an external one when its address was given, else a real local one
 * started for the demo (embedded PostgreSQL, a KRaft Kafka broker in a child JVM, a {@code
 * redis-server} child) and stopped with it.
 */
public final class DemoServers implements AutoCloseable {

  private static final String DEMO_DATABASE = "cachepipe_demo";

  final String postgresUrl;
  final String postgresUser;
  final String postgresPassword;
  final String kafkaBootstrap;
  public final String redisUri;
  public final boolean externalRedis;
  // best effort: the JVM's shutdown hook stops any child left
  private final OwnedResources owned = new OwnedResources(e -> {});
  private final Map<String, ProcessHandle> processes = new LinkedHashMap<>();

  private DemoServers(DemoOptions options, PrintStream out) {
    try {
      if (options.pgUrl != null) {
        postgresUrl = options.pgUrl;
        postgresUser = options.pgUser;
        postgresPassword = options.pgPassword();
      } else {
        LocalPostgres pg = own(LocalPostgres.start());
        processes.put("postgres", pg.process());
        postgresUrl = pg.createDatabase(DEMO_DATABASE);
        postgresUser = pg.user();
        postgresPassword = pg.password();
      }
      out.println(
          "PostgreSQL  " + Secrets.maskCredentials(postgresUrl) + "  (user " + postgresUser + ")");
      if (options.kafka != null) {
        kafkaBootstrap = options.kafka;
      } else {
        LocalKafka kafka = own(LocalKafka.start());
        processes.put("kafka", kafka.process());
        kafkaBootstrap = kafka.bootstrapServers();
      }
      out.println("Kafka       " + kafkaBootstrap);
      externalRedis = options.redis != null;
      if (externalRedis) {
        redisUri = options.redis;
      } else {
        LocalRedis redis = own(LocalRedis.start());
        processes.put("redis", redis.process());
        redisUri = redis.uri();
      }
      out.println("Redis       " + Secrets.maskCredentials(redisUri));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The processes of the servers started here (not of external ones), by name. */
  public Map<String, ProcessHandle> processes() {
    return processes;
  }

  public static DemoServers start(DemoOptions options, PrintStream out) {
    return new DemoServers(options, out);
  }

  private <T extends AutoCloseable> T own(T server) {
    return owned.own(server);
  }

  @Override
  public void close() {
    owned.close();
  }
}
