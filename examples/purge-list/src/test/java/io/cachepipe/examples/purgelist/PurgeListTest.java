package io.cachepipe.examples.purgelist;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.examples.purgelist.PurgeList.Purge;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PurgeListTest {

  private final PurgeList list =
      new PurgeList(Map.of("user", "/users/{id}", "post", "/posts/{id}"));

  @Test
  void aTagNamesItsPageAndOtherKindsNone() {
    list.invalidated(invalidation("user:42", 10, 10));
    list.invalidated(invalidation("order:7", 11, 11));

    assertThat(list.drain()).containsExactly(new Purge("/users/42", 10));
    assertThat(list.pending()).isEmpty();
  }

  @Test
  void aReplayAddsNothingButALaterCommitQueuesThePageAgain() {
    list.invalidated(invalidation("post:7", 100, 100));
    list.drain();

    list.invalidated(invalidation("post:7", 100, 100));
    assertThat(list.pending()).as("a redelivered record").isEmpty();

    list.invalidated(invalidation("post:7", 200, 200));
    assertThat(list.drain()).containsExactly(new Purge("/posts/7", 200));
    assertThat(list.replays()).isEqualTo(1);
  }

  @Test
  void aLongTransactionsEarlyChangeIsOrderedByItsCommitNotItsLsn() {
    // The short transaction committed first (commit position 300); the long one's change sits
    // earlier in the WAL (lsn 250) but committed later (commit position 400).
    list.invalidated(invalidation("user:1", 310, 300));
    list.drain();

    list.invalidated(invalidation("user:1", 250, 400));

    assertThat(list.drain()).containsExactly(new Purge("/users/1", 400));
  }

  private static Invalidation invalidation(String tag, long lsn, long commitLsn) {
    return new Invalidation(
        Invalidation.SCHEMA_VERSION, tag, "public.users", Op.UPDATE, lsn, commitLsn, 1, 1);
  }
}
