package io.cachepipe.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NearEntriesTest {

  private final NearEntries entries = entries(true);

  @Test
  void aFillThatBeganBeforeAnInvalidationOfItsTagIsNeverServed() {
    long began = entries.begin();
    entries.invalidate(invalidation("user:1", 100));

    boolean stored = entries.put("k", entry(began, "user:1", "user:2"));

    assertThat(stored).isFalse();
    assertThat(entries.get("k")).isNull();
  }

  @Test
  void anInvalidationAppliedAfterTheEntryWasStoredHidesIt() {
    entries.put("k", entry(entries.begin(), "user:1"));
    assertThat(entries.get("k")).isEqualTo("{}");

    entries.invalidate(invalidation("user:1", 100));

    assertThat(entries.get("k")).isNull();
  }

  @Test
  void aFillThatBeganAfterTheInvalidationIsServedAndOtherTagsDoNotMatter() {
    entries.invalidate(invalidation("user:1", 100));
    long began = entries.begin();
    entries.invalidate(invalidation("user:9", 110));

    entries.put("k", entry(began, "user:1"));

    assertThat(entries.get("k")).isEqualTo("{}");
    assertThat(entries.appliedPosition("user:1")).isEqualTo(100);
    assertThat(entries.appliedPosition("user:3")).isZero();
  }

  @Test
  void aDropHidesEveryEntryAndEveryFillThatBeganBeforeIt() {
    entries.put("k", entry(entries.begin(), "user:1"));
    long began = entries.begin();

    entries.dropAll();

    assertThat(entries.get("k")).isNull();
    assertThat(entries.put("j", entry(began, "user:2"))).isFalse();
    assertThat(entries.put("j", entry(entries.begin(), "user:2"))).isTrue();
  }

  @Test
  void theAppliedPositionIsTheNewestCommitEvenIfAnOlderOneArrivesLater() {
    entries.invalidate(invalidation("user:1", 300));
    entries.invalidate(invalidation("user:1", 200)); // a replay, or another partition's task

    assertThat(entries.appliedPosition("user:1")).isEqualTo(300);
  }

  @Test
  void withoutTheFenceALosingFillIsServed() {
    NearEntries unfenced = entries(false);
    long began = unfenced.begin();
    unfenced.invalidate(invalidation("user:1", 100));

    unfenced.put("k", entry(began, "user:1"));

    assertThat(unfenced.get("k")).isEqualTo("{}");
  }

  private static NearEntries entries(boolean fenced) {
    return new NearEntries(100, Duration.ofMinutes(1), Duration.ofSeconds(10), fenced);
  }

  private static NearEntries.Entry entry(long began, String... tags) {
    return new NearEntries.Entry("{}", List.of(tags), began);
  }

  private static Invalidation invalidation(String tag, long commitLsn) {
    return new Invalidation(
        Invalidation.SCHEMA_VERSION, tag, "public.users", Op.UPDATE, commitLsn, commitLsn, 1, 1);
  }
}
