package io.cachepipe.sidecar.fault;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.cachepipe.core.config.Topics;
import java.util.List;

/** Records that no stage can read, for the two topics the invalidator reads. */
final class MalformedRecords {

  /** Just under Kafka's default 1 MiB limit of a record, with the dead letter's headers. */
  static final int HUGE = 1_000_000;

  /**
   * A record no stage can read.
   *
   * @param what what is wrong with it
   * @param topic where it is written
   * @param reason what the dead letter's reason header must say
   */
  record BadRecord(String what, String topic, byte[] key, byte[] value, String reason) {
    BadRecord(String what, String topic, String value, String reason) {
      this(what, topic, ("fault:" + what).getBytes(UTF_8), value.getBytes(UTF_8), reason);
    }
  }

  private MalformedRecords() {}

  /** Four bad changes and four bad invalidations. */
  static List<BadRecord> of(Topics topics) {
    String changes = topics.changes();
    String invalidations = topics.invalidations();
    String change =
        "\"op\":\"insert\",\"key\":{\"id\":1},\"after\":{\"id\":1,\"author_id\":1},"
            + "\"lsn\":1,\"commit_ts_us\":1,\"tx_id\":1";
    String invalidation =
        "\"table\":\"public.users\",\"op\":\"update\",\"lsn\":1,\"commit_ts_us\":1,\"tx_id\":1";
    return List.of(
        new BadRecord("change-not-json", changes, "this is not JSON {", "not JSON"),
        new BadRecord(
            "change-version-99",
            changes,
            "{\"v\":99,\"table\":\"public.posts\"," + change + "}",
            "schema version 99 is not supported"),
        new BadRecord(
            "change-without-table", changes, "{\"v\":1," + change + "}", "missing field 'table'"),
        new BadRecord(
            "change-huge",
            changes,
            "{\"v\":1,\"op\":\"update\",\"table\":\"public.posts\",\"lsn\":1,\"commit_ts_us\":1,"
                + "\"tx_id\":1,\"pad\":\""
                + "x".repeat(HUGE)
                + "\"}",
            "a change needs a 'before' or an 'after' image"),
        new BadRecord("invalidation-not-json", invalidations, "{{{", "not JSON"),
        new BadRecord(
            "invalidation-version-99",
            invalidations,
            "{\"v\":99,\"tag\":\"user:1\"," + invalidation + "}",
            "schema version 99 is not supported"),
        new BadRecord(
            "invalidation-without-tag",
            invalidations,
            "{\"v\":1," + invalidation + "}",
            "missing field 'tag'"),
        new BadRecord("invalidation-huge", invalidations, "x".repeat(HUGE), "not JSON"));
  }
}
