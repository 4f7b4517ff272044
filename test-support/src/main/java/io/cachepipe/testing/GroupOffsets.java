package io.cachepipe.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/** What a consumer group has committed, as tests check it. */
public final class GroupOffsets {

  private GroupOffsets() {}

  /** The offsets {@code group} committed, summed over its partitions (0 before any commit). */
  public static long committedSum(Admin admin, String group) throws Exception {
    return admin
        .listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata()
        .get()
        .values()
        .stream()
        .mapToLong(OffsetAndMetadata::offset)
        .sum();
  }
}
