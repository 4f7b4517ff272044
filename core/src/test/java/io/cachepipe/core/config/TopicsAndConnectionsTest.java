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
                "redis://127.0.0.1:6379",
                false,
                RedisTls.JVM_DEFAULT));
  }

  @Test
  void clusterModeTakesSeedNodesAndPutsTheCredentialsInEach() {
    Connections connections =
        Connections.from(
            Settings.of(
                Map.of(
                    "cachepipe.redis.mode", "cluster",
                    "cachepipe.redis.uri", "redis://a:7000, redis://b:7001",
                    "cachepipe.redis.password", "hunter2")));

    assertThat(connections.redisCluster()).isTrue();
    assertThat(connections.redisUris())
        .containsExactly("redis://:hunter2@a:7000", "redis://:hunter2@b:7001");
    assertThat(connections.redisAddress()).doesNotContain("hunter2").contains("a:7000", "b:7001");
  }

  @Test
  void aCommaInAStandaloneUriIsPartOfIt() {
    Connections connections =
        Connections.from(Settings.of(Map.of("cachepipe.redis.uri", "redis://:pa,ss@r:6379")));

    assertThat(connections.redisCluster()).isFalse();
    assertThat(connections.redisUris()).containsExactly("redis://:pa,ss@r:6379");
  }

  @Test
  void aListOfUrisInStandaloneModeNamesTheModeKey() {
    assertThatThrownBy(
            () ->
                Connections.from(
                    Settings.of(Map.of("cachepipe.redis.uri", "redis://a:7000,redis://b:7001"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.redis.uri")
        .hasMessageContaining("cachepipe.redis.mode=cluster");
  }

  @Test
  void anUnknownRedisModeNamesTheKeyAndTheChoices() {
    assertThatThrownBy(
            () -> Connections.from(Settings.of(Map.of("cachepipe.redis.mode", "sentinel"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.redis.mode")
        .hasMessageContaining("standalone, cluster");
  }

  @Test
  void aSeedThatIsNotARedisUriIsRejected() {
    assertThatThrownBy(
            () ->
                Connections.from(
                    Settings.of(
                        Map.of(
                            "cachepipe.redis.mode", "cluster",
                            "cachepipe.redis.uri", "redis://a:7000,b:7001"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.redis.uri")
        .hasMessageContaining("redis://");
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
  void passwordsAreSecretFieldsAndTheRedisUriShowsItsHost() {
    assertThat(Connections.POSTGRES_PASSWORD.isSecret()).isTrue();
    assertThat(Connections.REDIS_PASSWORD.isSecret()).isTrue();
    assertThat(
            Settings.of(Map.of("cachepipe.redis.uri", "redis://u:hunter2@r:6379"))
                .masked(Connections.FIELDS))
        .containsEntry("cachepipe.redis.uri", "redis://u:********@r:6379");
  }

  @Test
  void redisUserAndPasswordKeysGoIntoTheUriEncoded() {
    Connections connections =
        Connections.from(
            Settings.of(
                Map.of(
                    "cachepipe.redis.uri", "rediss://cache.example.com:6380/2",
                    "cachepipe.redis.username", "app",
                    "cachepipe.redis.password", "p@ss:w/rd")));

    assertThat(connections.redisUri())
        .isEqualTo("rediss://app:p%40ss%3Aw%2Frd@cache.example.com:6380/2");
    assertThat(connections.redisAddress())
        .isEqualTo("rediss://app:********@cache.example.com:6380/2")
        .doesNotContain("p%40ss");
  }

  @Test
  void redisPasswordKeyWinsOverTheUrisAndKeepsItsUser() {
    Connections connections =
        Connections.from(
            Settings.of(
                Map.of(
                    "cachepipe.redis.uri", "redis://app:old@r:6379",
                    "cachepipe.redis.password", "new")));

    assertThat(connections.redisUri()).isEqualTo("redis://app:new@r:6379");
  }

  @Test
  void aRedisPasswordAloneNeedsNoUser() {
    Connections connections =
        Connections.from(
            Settings.of(
                Map.of("cachepipe.redis.uri", "redis://r:6379", "cachepipe.redis.password", "pw")));

    assertThat(connections.redisUri()).isEqualTo("redis://:pw@r:6379");
  }

  @Test
  void aRedisUserWithoutAPasswordIsAConfigError() {
    Settings settings = Settings.of(Map.of("cachepipe.redis.username", "app"));

    assertThatThrownBy(() -> Connections.from(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.redis.username:");
  }

  @Test
  void aUrlOfTheWrongSchemeNamesTheKeyWithoutItsCredentials() {
    Settings settings = Settings.of(Map.of("cachepipe.redis.uri", "http://u:S3cr3t@r:6379"));

    assertThatThrownBy(() -> Connections.from(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.redis.uri: expected a URL starting with redis://")
        .hasMessageNotContaining("S3cr3t");
  }
}
