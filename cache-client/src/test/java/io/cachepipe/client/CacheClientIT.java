package io.cachepipe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.LocalRedis;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CacheClientIT {

  /** A cached value as an application would write it: JSON field names of its own choosing. */
  record UserStats(
      @JsonProperty("post_count") long postCount, @JsonProperty("total_views") long totalViews) {}

  private static final String KEY = CacheKeys.entry("user_stats", 42);
  private static final List<String> TAGS = List.of("user:42");
  private static final Duration TTL = Duration.ofMinutes(5);

  private static RedisFixture redisServer;
  private static RedisClient inspectorClient;
  private static StatefulRedisConnection<String, String> inspectorConnection;
  private static RedisCommands<String, String> redis;

  private CacheClient client;

  @BeforeAll
  static void connectInspector() {
    redisServer = TestServers.redis();
    inspectorClient = RedisClient.create(redisServer.uri());
    inspectorConnection = inspectorClient.connect();
    redis = inspectorConnection.sync();
  }

  @AfterAll
  static void closeInspector() {
    inspectorConnection.close();
    inspectorClient.shutdown();
  }

  @BeforeEach
  void emptyCache() {
    redisServer.flushAll();
    client = CacheClient.create(redisServer.uri());
  }

  @AfterEach
  void closeClient() {
    client.close();
  }

  @Test
  void aForgedWatermarkIsIgnoredAndReadsAfterAWriteGoToTheLoader() {
    // 2^63 and 2^53 + 1: neither is a WAL position; Long.parseLong threw on the first.
    for (String forged : List.of("9223372036854775808", "9007199254740993", "x")) {
      redis.set(CacheKeys.watermark(), forged);

      UserStats read =
          client.getAfter(
              new WriteToken(10),
              Duration.ofMillis(20),
              KEY,
              TAGS,
              TTL,
              () -> new UserStats(1, 2),
              UserStats.class);

      assertThat(read).isEqualTo(new UserStats(1, 2));
      assertThat(client.watermark()).isEqualTo(-1);
    }
    assertThat(client.stats().ownWriteBypasses()).isEqualTo(3);
    redis.set(CacheKeys.watermark(), "10");
    assertThat(client.watermark()).isEqualTo(10);
  }

  @Test
  void aMissLoadsOnceAndStoresReadableJsonWithTheTtlSoTheNextReadIsAHit() {
    AtomicInteger loads = new AtomicInteger();
    Loader<UserStats> loader =
        () -> {
          loads.incrementAndGet();
          return new UserStats(3, 120);
        };

    UserStats first = client.get(KEY, TAGS, TTL, loader, UserStats.class);
    UserStats second = client.get(KEY, TAGS, TTL, loader, UserStats.class);

    assertThat(first).isEqualTo(new UserStats(3, 120));
    assertThat(second).isEqualTo(first);
    assertThat(loads).hasValue(1);
    assertThat(redis.get(KEY)).isEqualTo("{\"post_count\":3,\"total_views\":120}");
    assertThat(redis.pttl(KEY)).isBetween(1L, TTL.toMillis());
    assertThat(client.stats().misses()).isEqualTo(1);
    assertThat(client.stats().hits()).isEqualTo(1);
    assertThat(client.stats().fillsAccepted()).isEqualTo(1);
    assertThat(client.stats().fillsRejected()).isZero();
    assertThat(client.stats().redisErrors()).isZero();
    assertThat(client.stats().hitRatio()).isEqualTo(0.5);
  }

  @Test
  void aFilledKeyIsRegisteredUnderEachOfItsTags() {
    client.get(KEY, List.of("user:42", "post:7"), TTL, () -> new UserStats(1, 1), UserStats.class);

    assertThat(redis.zrange(CacheKeys.tagRegistry("user:42"), 0, -1)).containsExactly(KEY);
    assertThat(redis.zrange(CacheKeys.tagRegistry("post:7"), 0, -1)).containsExactly(KEY);
    assertThat(redis.pttl(CacheKeys.tagRegistry("user:42"))).isPositive();
  }

  /**
   * A registry that is not a sorted set (something else wrote the key) makes the fill fail, and
   * nothing is cached: an entry written before the error would be registered under no tag, and no
   * eviction would ever delete it before its TTL. The read still returns the loader's value.
   */
  @Test
  void aFillWhoseRegistryIsOfTheWrongTypeCachesNothing() {
    redis.set(CacheKeys.tagRegistry("post:7"), "not a registry");

    UserStats value =
        client.get(
            KEY, List.of("user:42", "post:7"), TTL, () -> new UserStats(2, 5), UserStats.class);

    assertThat(value).isEqualTo(new UserStats(2, 5));
    assertThat(redis.exists(KEY)).as("the entry after a failed fill").isZero();
  }

  @Test
  void aFillAfterAnEvictionOfOneOfItsTagsIsRejectedAndTheNextReadLoadsTheNewValue() {
    TagVersions versions = client.versions(List.of("user:42", "post:7"));
    UserStats stale = new UserStats(3, 120);
    // The writer's commit is evicted while the reader still holds the old row.
    redis.incr(CacheKeys.tagVersion("user:42"));

    boolean written = client.fill(KEY, versions, TTL, stale);

    assertThat(written).isFalse();
    assertThat(redis.exists(KEY)).isZero();
    assertThat(redis.exists(CacheKeys.tagRegistry("user:42"), CacheKeys.tagRegistry("post:7")))
        .isZero();
    assertThat(client.stats().fillsRejected()).isEqualTo(1);
    assertThat(client.stats().fillsAccepted()).isZero();

    UserStats fresh =
        client.get(
            KEY, List.of("user:42", "post:7"), TTL, () -> new UserStats(4, 130), UserStats.class);

    assertThat(fresh).isEqualTo(new UserStats(4, 130));
    assertThat(redis.get(KEY)).isEqualTo("{\"post_count\":4,\"total_views\":130}");
    assertThat(client.stats().fillsAccepted()).isEqualTo(1);
  }

  @Test
  void aFillAfterTheEpochMovedIsRejected() {
    TagVersions versions = client.versions(List.of("user:42"));
    assertThat(versions.versionKeys()).contains(CacheKeys.epoch());
    // The cache was flushed (the replication slot was lost) while the reader loaded.
    redis.incr(CacheKeys.epoch());

    assertThat(client.fill(KEY, versions, TTL, new UserStats(3, 120))).isFalse();
    assertThat(redis.exists(KEY, CacheKeys.tagRegistry("user:42"))).isZero();

    TagVersions after = client.versions(List.of("user:42"));
    assertThat(client.fill(KEY, after, TTL, new UserStats(4, 130))).isTrue();
    assertThat(redis.zrange(CacheKeys.tagRegistry("user:42"), 0, -1)).containsExactly(KEY);
  }

  @Test
  void aFillWithUnchangedVersionsIsWritten() {
    TagVersions versions = client.versions(TAGS);

    assertThat(client.fill(KEY, versions, TTL, new UserStats(3, 120))).isTrue();
    assertThat(redis.get(KEY)).isEqualTo("{\"post_count\":3,\"total_views\":120}");
  }

  @Test
  void aFillAfterTheFillDeadlineIsRejected() {
    try (CacheClient hasty =
        CacheClient.builder()
            .redisUri(redisServer.uri())
            .fillDeadline(Duration.ofMillis(1))
            .build()) {
      TagVersions versions = hasty.versions(TAGS);
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(1))
          .until(() -> System.nanoTime() - versions.readAtNanos() > Duration.ofMillis(1).toNanos());

      boolean written = hasty.fill(KEY, versions, TTL, new UserStats(3, 120));

      assertThat(written).isFalse();
      assertThat(redis.exists(KEY, CacheKeys.tagRegistry("user:42"))).isZero();
      assertThat(hasty.stats().fillsRejected()).isEqualTo(1);
    }
  }

  @Test
  void aLoaderThatFindsNothingCachesNothing() {
    AtomicInteger loads = new AtomicInteger();
    Loader<UserStats> nothing =
        () -> {
          loads.incrementAndGet();
          return null;
        };

    assertThat(client.get(KEY, TAGS, TTL, nothing, UserStats.class)).isNull();
    assertThat(client.get(KEY, TAGS, TTL, nothing, UserStats.class)).isNull();

    assertThat(loads).hasValue(2);
    assertThat(redis.exists(KEY, CacheKeys.tagRegistry("user:42"))).isZero();
    assertThat(client.stats().fillsAccepted()).isZero();
  }

  @Test
  void aFailingLoaderSurfacesAsCacheLoadExceptionAndCachesNothing() {
    IOException cause = new IOException("database is down");

    assertThatThrownBy(
            () ->
                client.get(
                    KEY,
                    TAGS,
                    TTL,
                    () -> {
                      throw cause;
                    },
                    UserStats.class))
        .isInstanceOf(CacheLoadException.class)
        .hasCause(cause)
        .hasMessageContaining(KEY);
    assertThat(redis.exists(KEY)).isZero();
  }

  @Test
  void withRedisUnreachableAReadReturnsTheLoadersValueAndCountsARedisError() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }

    try (CacheClient offline = CacheClient.create("redis://127.0.0.1:" + closedPort)) {
      UserStats value = offline.get(KEY, TAGS, TTL, () -> new UserStats(3, 120), UserStats.class);

      assertThat(value).isEqualTo(new UserStats(3, 120));
      assertThat(offline.stats().redisErrors()).isPositive();
    }
  }

  @Test
  void withRedisGoneAfterConnectingAReadReturnsTheLoadersValueWithoutWaitingLong() {
    try (LocalRedis doomed = LocalRedis.start();
        CacheClient client = CacheClient.create(doomed.uri())) {
      client.get(KEY, TAGS, TTL, () -> new UserStats(3, 120), UserStats.class);
      doomed.close();

      UserStats value =
          assertTimeoutPreemptively(
              Duration.ofSeconds(5),
              () -> client.get(KEY, TAGS, TTL, () -> new UserStats(4, 130), UserStats.class));

      assertThat(value).isEqualTo(new UserStats(4, 130));
      assertThat(client.stats().redisErrors()).isPositive();
    }
  }
}
