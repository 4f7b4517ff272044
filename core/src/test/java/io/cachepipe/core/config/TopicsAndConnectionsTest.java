package io.cachepipe.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsAndConnectionsTest {

  @Test
  void topicsDefaultToTheCachepipeNames() {
    Topics topics = Topics.from(Settings.empty());

    assertThat(topics)
        .isEqualTo(
            new Topics(
                "cachepipe.changes",
                "cachepipe.invalidations",
                "cachepipe.evictions",
                "cachepipe.dead-letter",
                6,
                (short) 1));
    assertThat(topics.all())
        .containsExactly(
            "cachepipe.changes",
            "cachepipe.invalidations",
            "cachepipe.evictions",
            "cachepipe.dead-letter");
  }

  @Test
  void topicsAreConfigurable() {
    Topics topics =
        Topics.from(
            Settings.of(
                Map.of(
                    "cachepipe.topic.invalidations", "shop.invalidations",
                    "cachepipe.topic.replication.factor", "3")));

    assertThat(topics.invalidations()).isEqualTo("shop.invalidations");
    assertThat(topics.replicationFactor()).isEqualTo((short) 3);
  }

  @Test
  void replicationFactorAboveShortRangeIsRejected() {
    Settings settings = Settings.of(Map.of("cachepipe.topic.replication.factor", "40000"));

    assertThatThrownBy(() -> Topics.from(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.topic.replication.factor");
  }

  @Test
  void connectionsDefaultToLocalServers() {
    Connections connections = Connections.from(Settings.empty());

    assertThat(connections)
        .isEqualTo(
            new Connections(
                "jdbc:postgresql://127.0.0.1:5432/postgres",
                "postgres",
                "",
                "127.0.0.1:9092",
                "redis://127.0.0.1:6379"));
  }

  @Test
  void connectionsToStringHidesCredentials() {
    Connections connections =
        Connections.from(
            Settings.of(
                Map.of(
                    "cachepipe.postgres.password", "pgpass",
                    "cachepipe.redis.uri", "redis://u:hunter2@r:6379")));

    assertThat(connections.toString()).doesNotContain("pgpass").doesNotContain("hunter2");
  }

  @Test
  void redisUriAndPostgresPasswordAreSecretFields() {
    assertThat(Connections.REDIS_URI.isSecret()).isTrue();
    assertThat(Connections.POSTGRES_PASSWORD.isSecret()).isTrue();
  }
}
