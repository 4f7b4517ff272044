package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.CacheScripts;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: registries stay bounded. A fill registers its entry scored by when it expires, prunes
 * expired members a bounded number at a time, and keeps the registry as long as its latest-expiring
 * member; a rarely evicted tag's registry no longer grows with every fill ever made.
 */
class RegistryPruningIT extends OnARedisServer {

  private static final String TAG = "user:42";
  private static final String REGISTRY = CacheKeys.tagRegistry(TAG);

  @Test
  void aRegistryOfExpiredMembersShrinksOnTheNextFill() {
    registerExpired(50);
    assertThat(redis.zcard(REGISTRY)).isEqualTo(50);

    assertThat(entries.fill("cp:user_stats:42", TAG, "0", "{}")).isTrue();

    assertThat(redis.zrange(REGISTRY, 0, -1)).containsExactly("cp:user_stats:42");
  }

  @Test
  void eachFillPrunesABoundedNumberSoNoFillBlocksRedisAndAFewFillsPruneThemAll() {
    registerExpired(250);

    entries.fill("cp:a:1", TAG, "0", "{}");
    assertThat(redis.zcard(REGISTRY)).as("100 pruned, 1 added").isEqualTo(151);
    entries.fill("cp:a:2", TAG, "0", "{}");
    entries.fill("cp:a:3", TAG, "0", "{}");

    assertThat(redis.zrange(REGISTRY, 0, -1))
        .containsExactlyInAnyOrder("cp:a:1", "cp:a:2", "cp:a:3");
  }

  @Test
  void aMemberIsScoredByItsEntrysExpiryAndTheRegistryLivesAsLongAsItsLastMember() {
    long before = System.currentTimeMillis();
    fill("cp:long:1", Duration.ofHours(2));
    fill("cp:short:1", Duration.ofMinutes(1));
    long after = System.currentTimeMillis();

    assertThat(redis.zscore(REGISTRY, "cp:short:1").longValue())
        .isBetween(before + 60_000 - 1_000, after + 60_000 + 1_000);
    assertThat(redis.pttl("cp:short:1")).isBetween(1L, 60_000L);
    assertThat(redis.pttl(REGISTRY))
        .as("a shorter-lived fill does not shorten the registry")
        .isGreaterThan(Duration.ofMinutes(119).toMillis());

    fill("cp:long:1", Duration.ofMinutes(5)); // refilled: its entry now expires sooner
    assertThat(redis.pttl(REGISTRY))
        .as("the registry follows its latest-expiring member")
        .isBetween(Duration.ofMinutes(4).toMillis(), Duration.ofMinutes(5).toMillis());
  }

  private static void fill(String key, Duration ttl) {
    Long written =
        CacheScripts.FENCED_FILL.run(
            redis,
            ScriptOutputType.INTEGER,
            new String[] {key, CacheKeys.tagVersion(TAG), REGISTRY},
            "{}",
            Long.toString(ttl.toMillis()),
            "1",
            "1",
            "0");
    assertThat(written).isEqualTo(1L);
  }

  /** Members whose entries expired a second ago, never pruned since. */
  private static void registerExpired(int count) {
    long expired = System.currentTimeMillis() - 1_000;
    for (int i = 0; i < count; i++) {
      redis.zadd(REGISTRY, expired - i, "cp:expired:" + i);
    }
  }
}
