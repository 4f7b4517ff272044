package io.cachepipe.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.VersionedEntry;
import io.cachepipe.redis.evict.ClusterTagEvictor;
import io.cachepipe.testing.RedisClusterFixture;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cache-client's cluster mode and the cluster eviction step against a real Redis Cluster of
 * three masters: fenced fills across slots, evictions that report live keys, and the
 * reader/eviction race in both of its orders.
 */
class RedisClusterIT {

  record UserStats(
      @JsonProperty("post_count") long postCount, @JsonProperty("total_views") long totalViews) {}

  private static final Duration TTL = Duration.ofMinutes(5);

  private static RedisClusterFixture servers;
  private static RedisClusterClient inspectorClient;
  private static StatefulRedisClusterConnection<String, String> inspectorConnection;
  private static RedisAdvancedClusterCommands<String, String> redis;

  private CacheClient client;
  private ClusterTagEvictor evictor;
  private StatefulRedisClusterConnection<String, String> evictorConnection;

  @BeforeAll
  static void connectInspector() {
    servers = TestServers.redisCluster();
    inspectorClient =
        RedisClusterClient.create(servers.uris().stream().map(RedisURI::create).toList());
    inspectorConnection = inspectorClient.connect();
    redis = inspectorConnection.sync();
  }

  @AfterAll
  static void closeInspector() {
    if (inspectorConnection != null) {
      inspectorConnection.close();
      inspectorClient.shutdown();
    }
  }

  @BeforeEach
  void emptyCache() {
    servers.flushAll();
    client = CacheClient.builder().cluster(servers.uris()).build();
    evictorConnection = inspectorClient.connect();
    evictor = new ClusterTagEvictor(evictorConnection, Duration.ofDays(1), Duration.ofMillis(200));
  }

  @AfterEach
  void close() {
    client.close();
    evictorConnection.close();
  }

  @Test
  void entriesAndTagsLandOnDifferentMastersAndAFillCachesAcrossThem() {
    List<String> authors = List.of("1", "2", "3", "4", "5", "6", "7", "8");
    for (String id : authors) {
      UserStats stats =
          client.get(
              CacheKeys.entry("user_stats", id),
              List.of("user:" + id, "stats"),
              TTL,
              () -> new UserStats(Long.parseLong(id), 10),
              UserStats.class);
      assertThat(stats.postCount()).isEqualTo(Long.parseLong(id));
    }

    // Each master holds some of the entries and registries: nothing is forced into one slot.
    List<Set<String>> perMaster = servers.masters().stream().map(RedisClusterIT::keysOn).toList();
    assertThat(perMaster).allSatisfy(keys -> assertThat(keys).isNotEmpty());
    Set<String> all = new HashSet<>();
    perMaster.forEach(all::addAll);
    for (String id : authors) {
      assertThat(all)
          .contains(
              CacheKeys.entry("user_stats", id),
              CacheKeys.tagRegistry("user:" + id),
              CacheKeys.tagRegistry("stats"));
      assertThat(redis.zrange(CacheKeys.tagRegistry("user:" + id), 0, -1))
          .containsExactly(CacheKeys.entry("user_stats", id));
    }
    assertThat(redis.zrange(CacheKeys.tagRegistry("stats"), 0, -1)).hasSize(authors.size());
    assertThat(client.stats().fillsAccepted()).isEqualTo(authors.size());

    // The second read of each is a hit: its versions are current.
    AtomicInteger loads = new AtomicInteger();
    for (String id : authors) {
      client.get(
          CacheKeys.entry("user_stats", id),
          List.of("user:" + id, "stats"),
          TTL,
          () -> new UserStats(loads.incrementAndGet(), 0),
          UserStats.class);
    }
    assertThat(loads).hasValue(0);
    assertThat(client.stats().hits()).isEqualTo(authors.size());
  }

  @Test
  void anEvictionDeletesTheTagsEntriesOnEveryNodeAndReportsThemLive() {
    List<String> keys =
        List.of("a", "b", "c", "d", "e", "f").stream()
            .map(id -> CacheKeys.entry("post", id))
            .toList();
    for (String key : keys) {
      client.get(key, List.of("user:42"), TTL, () -> new UserStats(1, 1), UserStats.class);
    }
    String deletedBefore = CacheKeys.entry("post", "gone");
    redis.zadd(
        CacheKeys.tagRegistry("user:42"),
        System.currentTimeMillis() + TTL.toMillis(),
        deletedBefore);
    assertThat(
            keys.stream()
                .map(
                    k ->
                        servers.masters().stream()
                            .filter(m -> keysOn(m).contains(k))
                            .findFirst()
                            .orElseThrow())
                .distinct())
        .hasSizeGreaterThan(1);

    Map<String, List<String>> live = evictor.evict(Map.of("user:42", 1L), Map.of(), 0).live();

    assertThat(live.get("user:42")).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(redis.exists(keys.toArray(String[]::new))).isZero();
    assertThat(redis.exists(CacheKeys.tagRegistry("user:42"))).isZero();
    assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("1");
    assertThat(redis.pttl(CacheKeys.tagVersion("user:42"))).isPositive();
  }

  @Test
  void aFillWhoseTagWasEvictedAfterItsVersionsWereReadIsRejected() {
    String key = CacheKeys.entry("user_stats", 42);
    TagVersions versions = client.versions(List.of("user:42", "post:7"));

    evictor.evict(Map.of("post:7", 1L), Map.of(), 0);

    assertThat(client.fill(key, versions, TTL, new UserStats(3, 120))).isFalse();
    assertThat(client.stats().fillsRejected()).isEqualTo(1);
    assertThat(redis.exists(key)).isZero();
    UserStats reloaded =
        client.get(
            key, List.of("user:42", "post:7"), TTL, () -> new UserStats(4, 160), UserStats.class);
    assertThat(reloaded).isEqualTo(new UserStats(4, 160));
    assertThat(redis.get(key)).as("the new fill is cached").isNotNull();
  }

  @Test
  void anEntryWrittenAfterAnEvictionThatPassedItsFenceIsNeverServed() {
    String key = CacheKeys.entry("user_stats", 42);
    List<String> tags = List.of("user:42");
    ClusterEntries steps = new ClusterEntries(Json.mapper(), Duration.ofSeconds(1));
    TagVersions versions = client.versions(tags);

    // The fill's fence passes, then the eviction runs, then the fill's write lands: the old value
    // is in Redis, outside any registry, carrying a version that has moved.
    assertThat(steps.fence(inspectorConnection.async(), key, versions, TTL.toMillis())).isTrue();
    Map<String, List<String>> live = evictor.evict(Map.of("user:42", 1L), Map.of(), 0).live();
    steps.write(
        inspectorConnection.async(),
        key,
        versions,
        TTL.toMillis(),
        "{\"post_count\":3,\"total_views\":120}");
    assertThat(live.get("user:42")).as("nothing was written when the eviction ran").isEmpty();
    assertThat(VersionedEntry.decode(redis.get(key)).versions())
        .as("the tag's version, then the epoch's")
        .containsExactly("0", "0");

    AtomicInteger loads = new AtomicInteger();
    UserStats read =
        client.get(
            key,
            tags,
            TTL,
            () -> {
              loads.incrementAndGet();
              return new UserStats(4, 160);
            },
            UserStats.class);

    assertThat(read).isEqualTo(new UserStats(4, 160));
    assertThat(loads).hasValue(1);
    assertThat(client.stats().hits()).isZero();
    assertThat(client.stats().misses()).isEqualTo(1);
    assertThat(VersionedEntry.decode(redis.get(key)).versions())
        .as("the reader's own fill replaced it, against the bumped version (then the epoch's)")
        .containsExactly("1", "0");
    assertThat(client.get(key, tags, TTL, () -> new UserStats(0, 0), UserStats.class))
        .isEqualTo(new UserStats(4, 160));
    assertThat(client.stats().hits()).isEqualTo(1);
  }

  /** The keys stored on one master (a node-local listing; the test's keyspace is tiny). */
  private static Set<String> keysOn(RedisFixture master) {
    RedisClient node = RedisClient.create(master.uri());
    try (StatefulRedisConnection<String, String> connection = node.connect()) {
      return new HashSet<>(connection.sync().keys("*"));
    } finally {
      node.shutdown();
    }
  }
}
