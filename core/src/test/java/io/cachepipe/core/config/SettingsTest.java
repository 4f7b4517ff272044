package io.cachepipe.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

  @TempDir Path dir;

  private Path propertiesFile(String content) throws Exception {
    Path file = dir.resolve("cachepipe.properties");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  private static List<ConfigField<?>> allFields() {
    List<ConfigField<?>> fields = new ArrayList<>(Connections.FIELDS);
    fields.addAll(Topics.FIELDS);
    return fields;
  }

  @Test
  void fileValuesAreLoadedAndTrimmed() throws Exception {
    Path file = propertiesFile("cachepipe.topic.changes =  my.changes  \n# a comment\n");

    Settings settings = Settings.load(file, Map.of(), Map.of());

    assertThat(settings.raw("cachepipe.topic.changes")).isEqualTo("my.changes");
    assertThat(settings.keys()).containsExactly("cachepipe.topic.changes");
  }

  @Test
  void environmentOverridesTheFileAndOverridesOverrideTheEnvironment() throws Exception {
    Path file =
        propertiesFile(
            String.join(
                "\n",
                "cachepipe.redis.uri=redis://file:6379",
                "cachepipe.topic.changes=file.changes",
                "cachepipe.topic.partitions=3",
                "cachepipe.postgres.user=file_user"));
    Map<String, String> env =
        Map.of(
            "CACHEPIPE_REDIS_URI", "redis://env:6379",
            "CACHEPIPE_TOPIC_CHANGES", "env.changes");
    Map<String, String> overrides = Map.of("cachepipe.redis.uri", "redis://flag:6379");

    Settings settings = Settings.load(file, env, overrides);

    assertThat(settings.raw("cachepipe.redis.uri")).isEqualTo("redis://flag:6379");
    assertThat(settings.raw("cachepipe.topic.changes")).isEqualTo("env.changes");
    assertThat(settings.get(Topics.PARTITIONS)).isEqualTo(3);
    assertThat(settings.get(Connections.POSTGRES_USER)).isEqualTo("file_user");
  }

  @Test
  void loadWithoutFileUsesEnvironmentAndOverrides() {
    Settings settings =
        Settings.load(
            null,
            Map.of("KAFKA_BOOTSTRAP_SERVERS", "broker:9092"),
            Map.of("cachepipe.topic.partitions", "12"));

    assertThat(settings.get(Connections.KAFKA_BOOTSTRAP)).isEqualTo("broker:9092");
    assertThat(settings.get(Topics.PARTITIONS)).isEqualTo(12);
  }

  @Test
  void unreadableFileIsAConfigErrorNamingTheFile() {
    Path missing = dir.resolve("missing.properties");

    assertThatThrownBy(() -> Settings.load(missing, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing.properties");
  }

  @Test
  void environmentVariablesMapToKeysByTheUpperCaseUnderscoreRule() {
    Map<String, String> keys =
        Settings.fromEnvironment(
            Map.of(
                "CACHEPIPE_REDIS_URI", "redis://r:6379",
                "DEBEZIUM_SOURCE_POLL_INTERVAL_MS", "50"));

    assertThat(keys)
        .containsOnly(
            Map.entry("cachepipe.redis.uri", "redis://r:6379"),
            Map.entry("debezium.source.poll.interval.ms", "50"));
  }

  @Test
  void otherEnvironmentVariablesAreIgnored() {
    Settings settings =
        Settings.load(
            null,
            Map.of(
                "PATH", "/usr/bin",
                "HOME", "/root",
                "JAVA_HOME", "/opt/jdk",
                "cachepipe_redis_uri", "redis://lower:6379",
                "CACHEPIPE_REDIS_URI", "redis://r:6379"),
            Map.of());

    assertThat(settings.keys()).containsExactly("cachepipe.redis.uri");
    assertThat(settings.raw("cachepipe.redis.uri")).isEqualTo("redis://r:6379");
  }

  @Test
  void subtreeStripsThePrefixAndLeavesOtherKeysOut() {
    Settings settings =
        Settings.of(
            Map.of(
                "debezium.source.database.hostname", "db",
                "debezium.source.slot.name", "cachepipe",
                "debezium.sink.type", "kafka",
                "cachepipe.redis.uri", "redis://r"));

    assertThat(settings.subtree("debezium.source."))
        .containsOnly(Map.entry("database.hostname", "db"), Map.entry("slot.name", "cachepipe"));
  }

  @Test
  void withSetsOneKeyAndLeavesTheOriginalUnchanged() {
    Settings original = Settings.of(Map.of("a.b", "1"));

    Settings changed = original.with("a.b", "2").with("c.d", "3");

    assertThat(changed.raw("a.b")).isEqualTo("2");
    assertThat(changed.raw("c.d")).isEqualTo("3");
    assertThat(original.raw("a.b")).isEqualTo("1");
    assertThat(original.contains("c.d")).isFalse();
  }

  @Test
  void withDefaultsDoesNotOverrideSetKeys() {
    Settings settings =
        Settings.of(Map.of("a.b", "set")).withDefaults(Map.of("a.b", "default", "c.d", "default"));

    assertThat(settings.raw("a.b")).isEqualTo("set");
    assertThat(settings.raw("c.d")).isEqualTo("default");
  }

  @Test
  void integerOutOfRangeNamesTheKeyTheRangeAndTheValue() {
    Settings settings = Settings.of(Map.of("cachepipe.topic.partitions", "0"));

    assertThatThrownBy(() -> settings.get(Topics.PARTITIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessage("cachepipe.topic.partitions: expected an integer from 1 to 10000, got '0'");
  }

  @Test
  void integerThatIsNotANumberNamesTheKeyAndExpectation() {
    Settings settings = Settings.of(Map.of("cachepipe.topic.partitions", "six"));

    assertThatThrownBy(() -> settings.get(Topics.PARTITIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.topic.partitions")
        .hasMessageContaining("expected an integer")
        .hasMessageContaining("'six'");
  }

  @Test
  void integerBeyondIntRangeIsABadValueNotACrash() {
    Settings settings = Settings.of(Map.of("cachepipe.topic.partitions", "99999999999"));

    assertThatThrownBy(() -> settings.get(Topics.PARTITIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.topic.partitions");
  }

  @Test
  void requireKnownKeysRejectsATypoAndSuggestsTheClosestKey() {
    Settings settings = Settings.of(Map.of("cachepipe.redis.urii", "redis://r"));

    assertThatThrownBy(() -> settings.requireKnownKeys(allFields(), List.of("cachepipe.rule.")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.redis.urii")
        .hasMessageContaining("did you mean cachepipe.redis.uri?");
  }

  @Test
  void requireKnownKeysAcceptsKnownKeysDynamicPrefixesAndOtherLibrariesKeys() {
    Settings settings =
        Settings.of(
            Map.of(
                "cachepipe.redis.uri", "redis://r",
                "cachepipe.rule.post.table", "posts",
                "cachepipe.rule.post.tag", "post:{id}",
                "debezium.source.slot.name", "cachepipe",
                "kafka.streams.num.stream.threads", "2"));

    settings.requireKnownKeys(allFields(), List.of("cachepipe.rule."));
  }

  @Test
  void maskedHidesSecretFieldsAndPasswordLikeKeys() {
    Settings settings =
        Settings.of(
            Map.of(
                "cachepipe.redis.uri", "redis://u:hunter2@r:6379",
                "cachepipe.postgres.password", "pgpass",
                "debezium.source.database.password", "dbpass",
                "kafka.sasl.jaas.config", "PlainLoginModule password=\"k\"",
                "cachepipe.api.secret", "s3",
                "cachepipe.postgres.url", "jdbc:postgresql://db/app"));

    Map<String, String> masked = settings.masked(Connections.FIELDS);

    assertThat(masked)
        .containsEntry("cachepipe.redis.uri", "redis://u:********@r:6379")
        .containsEntry("cachepipe.postgres.password", "********")
        .containsEntry("debezium.source.database.password", "********")
        .containsEntry("kafka.sasl.jaas.config", "********")
        .containsEntry("cachepipe.api.secret", "********")
        .containsEntry("cachepipe.postgres.url", "jdbc:postgresql://db/app");
  }

  @Test
  void eachKeyKnowsWhereItsValueCameFrom() throws Exception {
    Path file =
        propertiesFile(
            "cachepipe.topic.changes=file.changes\ncachepipe.topic.evictions=file.evictions\n"
                + "cachepipe.cdc.name=file\n");
    Settings settings =
        Settings.load(
            file,
            Map.of("CACHEPIPE_TOPIC_EVICTIONS", "env.evictions", "CACHEPIPE_CDC_NAME", "env"),
            Map.of("cachepipe.cdc.name", "flag"));

    assertThat(settings.source("cachepipe.topic.changes")).isEqualTo(Settings.Source.FILE);
    assertThat(settings.source("cachepipe.topic.evictions")).isEqualTo(Settings.Source.ENV);
    assertThat(settings.source("cachepipe.cdc.name")).isEqualTo(Settings.Source.OVERRIDE);
    assertThat(settings.source("cachepipe.topic.partitions")).isEqualTo(Settings.Source.DEFAULT);
    assertThat(settings.with("cachepipe.topic.changes", "x").source("cachepipe.topic.changes"))
        .isEqualTo(Settings.Source.OVERRIDE);
    assertThat(
            settings
                .withDefaults(Map.of("cachepipe.topic.partitions", "2"))
                .source("cachepipe.topic.partitions"))
        .isEqualTo(Settings.Source.DEFAULT);
  }

  @Test
  void loggingAndLauncherVariablesAreNotConfiguration() {
    Settings settings =
        Settings.load(
            null,
            Map.of(
                "CACHEPIPE_LOG_LEVEL", "DEBUG",
                "CACHEPIPE_LOG_FORMAT", "json",
                "CACHEPIPE_REDIS_SERVER", "/usr/bin/redis-server"),
            Map.of());

    assertThat(settings.keys()).isEmpty();
  }

  @Test
  void variablesThatNameNoKeyAreLeftOutAndTheOnesWithOurPrefixNamed() {
    Map<String, String> kubernetes =
        Map.of(
            "CACHEPIPE_PORT", "tcp://10.0.0.7:9400",
            "CACHEPIPE_SERVICE_HOST", "10.0.0.7",
            "KAFKA_PORT", "tcp://10.0.0.8:9092",
            "CACHEPIPE_REDIS_URI", "redis://r:6379",
            "KAFKA_BOOTSTRAP_SERVERS", "k:9092");
    java.util.function.Predicate<String> isKey =
        key -> key.equals("cachepipe.redis.uri") || key.equals("kafka.bootstrap.servers");

    Settings settings = Settings.load(null, kubernetes, Map.of(), isKey);

    assertThat(settings.keys())
        .containsExactlyInAnyOrder("cachepipe.redis.uri", "kafka.bootstrap.servers");
    assertThat(Settings.unknownVariables(kubernetes, isKey))
        .containsExactly("CACHEPIPE_PORT", "CACHEPIPE_SERVICE_HOST");
  }

  @Test
  void aPasswordFileGivesThePasswordWithoutItsFinalLineBreak(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pg-password");
    Files.writeString(file, "S3cr3t;with,separators\n");
    Settings fromFile =
        Settings.of(Map.of(Connections.POSTGRES_PASSWORD_FILE.name(), file.toString()));
    Settings both =
        Settings.of(
            Map.of(
                Connections.POSTGRES_PASSWORD.name(),
                "given",
                Connections.POSTGRES_PASSWORD_FILE.name(),
                file.toString()));
    Settings missing =
        Settings.of(Map.of(Connections.REDIS_PASSWORD_FILE.name(), dir.resolve("no").toString()));

    assertThat(Connections.from(fromFile).postgresPassword()).isEqualTo("S3cr3t;with,separators");
    assertThat(Connections.from(both).postgresPassword()).isEqualTo("given");
    assertThatThrownBy(() -> Connections.from(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.redis.password.file: cannot read the secret file");
  }

  @Test
  void toStringShowsNoValues() {
    Settings settings = Settings.of(Map.of("cachepipe.redis.uri", "redis://u:hunter2@r:6379"));

    assertThat(settings.toString()).contains("cachepipe.redis.uri").doesNotContain("hunter2");
  }
}
