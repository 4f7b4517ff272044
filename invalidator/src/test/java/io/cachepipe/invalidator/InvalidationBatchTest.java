package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.redis.evict.TagEvictor;
import org.junit.jupiter.api.Test;

class InvalidationBatchTest {

  @Test
  void aTagIsEvictedAtItsLatestCommitNotAtItsHighestLsn() {
    InvalidationBatch batch = new InvalidationBatch();
    batch.add(invalidation("user:1", 5_000, 5_100)); // a short transaction, committed first
    batch.add(invalidation("user:1", 1_100, 5_200)); // a long one's early change
    batch.add(invalidation("user:1", 6_000, 5_150)); // arrived late through another partition

    assertThat(batch.byTag().get("user:1").lsn()).isEqualTo(1_100);
    assertThat(batch.positions()).containsEntry("user:1", 5_200L);
    assertThat(batch.all()).hasSize(3);
  }

  @Test
  void aChangeWithoutAKnownPositionIsEvictedWhateverTheTagsPosition() {
    InvalidationBatch batch = new InvalidationBatch();
    batch.add(invalidation("post:7", 0, 0));

    assertThat(batch.positions()).containsEntry("post:7", TagEvictor.UNCONDITIONAL);
  }

  private static Invalidation invalidation(String tag, long lsn, long commitLsn) {
    return new Invalidation(
        Invalidation.SCHEMA_VERSION, tag, "public.posts", Op.UPDATE, lsn, commitLsn, 1, 1);
  }
}
