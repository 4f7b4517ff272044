package io.cachepipe.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cachepipe.core.change.Invalidation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The near cache's entries and its fence. Every invalidation the tier applies takes the next number
 * of a sequence and marks its tag with it (and with its commit position); a fill remembers the
 * sequence number when it began; an entry is served only if none of its tags was marked after that,
 * and it began after the tier last dropped itself ({@link #dropAll}). So a fill that began before
 * an invalidation of one of its tags was applied is never served, however the threads interleave:
 * the check is made when the entry is read, not only when it is written.
 *
 * <p>A mark is needed only while an entry filled before it can still be read: entries live at most
 * the TTL after their fill, and a fill is refused once it is older than the fill deadline, so marks
 * are kept for the TTL plus the fill deadline.
 */
final class NearEntries {

  /** An entry: its value's JSON, its tags, and the sequence number when its fill began. */
  record Entry(String json, List<String> tags, long began) {}

  /** The newest invalidation applied to a tag: its sequence number and commit position. */
  record Mark(long sequence, long commitLsn) {
    Mark newest(Mark other) {
      return new Mark(Math.max(sequence, other.sequence), Math.max(commitLsn, other.commitLsn));
    }
  }

  private final Cache<String, Entry> entries;
  private final Cache<String, Mark> marks;
  private final AtomicLong sequence = new AtomicLong();
  private final boolean fenced;
  private volatile long floor;

  NearEntries(long maximumSize, Duration ttl, Duration fillDeadline, boolean fenced) {
    this.entries = Caffeine.newBuilder().maximumSize(maximumSize).expireAfterWrite(ttl).build();
    this.marks = Caffeine.newBuilder().expireAfterWrite(ttl.plus(fillDeadline)).build();
    this.fenced = fenced;
  }

  /** Applies an invalidation: every entry of its tag filled before now is no longer served. */
  void invalidate(Invalidation invalidation) {
    Mark mark = new Mark(sequence.incrementAndGet(), invalidation.commitLsn());
    marks.asMap().merge(invalidation.tag(), mark, Mark::newest);
  }

  /** Drops every entry: none filled before is served again. */
  void dropAll() {
    floor = sequence.incrementAndGet();
    entries.invalidateAll();
  }

  /** The sequence number a fill that begins now remembers. */
  long begin() {
    return sequence.get();
  }

  /** The commit position of the newest invalidation of {@code tag} applied, or 0. */
  long appliedPosition(String tag) {
    Mark mark = marks.getIfPresent(tag);
    return mark == null ? 0 : mark.commitLsn();
  }

  /** The JSON of {@code key}'s entry if it may be served, else null (and the entry is gone). */
  String get(String key) {
    Entry entry = entries.getIfPresent(key);
    if (entry == null) {
      return null;
    }
    if (!servable(entry)) {
      entries.asMap().remove(key, entry);
      return null;
    }
    return entry.json();
  }

  /**
   * Stores {@code entry} under {@code key} unless it could not be served anyway.
   *
   * @return whether it was stored
   */
  boolean put(String key, Entry entry) {
    if (!servable(entry)) {
      return false;
    }
    entries.put(key, entry);
    return true;
  }

  long size() {
    return entries.estimatedSize();
  }

  private boolean servable(Entry entry) {
    if (!fenced) {
      return true;
    }
    for (String tag : entry.tags()) {
      Mark mark = marks.getIfPresent(tag);
      if (mark != null && mark.sequence() > entry.began()) {
        return false;
      }
    }
    // After the tags: a drop raises the floor before it forgets anything.
    return entry.began() >= floor;
  }
}
