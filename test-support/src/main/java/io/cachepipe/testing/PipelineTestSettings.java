package io.cachepipe.testing;

import io.cachepipe.core.config.Settings;
import io.cachepipe.testing.PostgresFixture.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The settings of a whole pipeline on the shared test servers. Topics, consumer groups, the slot
 * and the Streams state are the test's own, so test classes never see each other's traffic.
 */
public final class PipelineTestSettings {

  private PipelineTestSettings() {}

  /** Every stage on {@code db}, with names from {@code name}. */
  public static Settings of(Database db, String name) throws IOException {
    return Settings.of(values(db, name));
  }

  /** {@link #of}'s keys and values, e.g. to write them to a child process's properties file. */
  public static Map<String, String> values(Database db, String name) throws IOException {
    String prefix = TestServers.kafka().uniqueTopicPrefix(name);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("cachepipe.postgres.url", db.jdbcUrl());
    values.put("cachepipe.postgres.user", db.user());
    values.put("cachepipe.postgres.password", db.password());
    values.put("kafka.bootstrap.servers", TestServers.kafka().bootstrapServers());
    values.put("cachepipe.redis.uri", TestServers.redis().uri());
    values.put("cachepipe.topic.changes", prefix + "changes");
    values.put("cachepipe.topic.invalidations", prefix + "invalidations");
    values.put("cachepipe.topic.evictions", prefix + "evictions");
    values.put("cachepipe.topic.dead.letter", prefix + "dead-letter");
    values.put("cachepipe.topic.partitions", "2");
    values.put("cachepipe.cdc.name", prefix + "cdc");
    values.put("cachepipe.cdc.slot.name", db.name()); // slots are server-wide: one per database
    values.put("cachepipe.cdc.offsets.topic", prefix + "offsets");
    values.put("cachepipe.invalidator.application.id", prefix + "invalidator");
    values.put(
        "cachepipe.invalidator.state.dir", Files.createTempDirectory(name + "-streams").toString());
    values.put("cachepipe.warmer.group.id", prefix + "warmer");
    values.put("cachepipe.warm.defaults", "example"); // the example schema's user_stats kind
    return values;
  }

  /**
   * Writes {@code values} with {@code extra} on top to a properties file in {@code dir}, for a
   * {@code run --config} in a process of its own.
   */
  public static Path writeConfig(
      Path dir, String name, Map<String, String> values, Map<String, String> extra)
      throws IOException {
    Properties properties = new Properties();
    values.forEach(properties::setProperty);
    extra.forEach(properties::setProperty);
    Path config = Files.createDirectories(dir).resolve(name + ".properties");
    try (var out = Files.newBufferedWriter(config)) {
      properties.store(out, name);
    }
    return config;
  }
}
