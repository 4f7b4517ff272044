package io.cachepipe.examples.purgelist;

import io.cachepipe.consumer.InvalidationListener;
import io.cachepipe.core.change.Invalidation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A CDN-style purge list kept fresh from the invalidations topic: each invalidated tag names the
 * public pages built from its rows ({@code user:42} → {@code /users/42}), and those pages wait in
 * the list until a purger sends them to the CDN ({@link #drain}).
 *
 * <p>Ordering follows the topic's contract: the highest {@code commit_lsn} queued per tag is kept,
 * and an invalidation at or below it is a replay (at-least-once delivery) or an older transaction
 * whose commit the queued purge already follows; it adds nothing. Never {@code lsn}: a long
 * transaction's early change has a lower {@code lsn} than changes that committed before it.
 *
 * <p>Thread-safe: the consumer's thread adds, a purger drains.
 */
public final class PurgeList implements InvalidationListener {

  private final Map<String, String> pages;
  private final Map<String, Long> queuedAt = new HashMap<>();
  private final Map<String, Long> pending = new LinkedHashMap<>();
  private long replays;

  /**
   * @param pages per tag kind (the text before the tag's first {@code :}), the page path with
   *     {@code {id}} where the rest of the tag goes: {@code user} → {@code /users/{id}}
   */
  public PurgeList(Map<String, String> pages) {
    this.pages = Map.copyOf(pages);
  }

  @Override
  public synchronized void invalidated(Invalidation invalidation) {
    String page = pageOf(invalidation.tag());
    if (page == null) {
      return; // no public page is built from this kind of row
    }
    Long queued = queuedAt.get(invalidation.tag());
    if (queued != null && invalidation.commitLsn() <= queued) {
      replays++;
      return;
    }
    queuedAt.put(invalidation.tag(), invalidation.commitLsn());
    pending.merge(page, invalidation.commitLsn(), Math::max);
  }

  /** The page of {@code tag}, or null if no page is built from it. */
  String pageOf(String tag) {
    int colon = tag.indexOf(':');
    if (colon <= 0) {
      return null;
    }
    String template = pages.get(tag.substring(0, colon));
    return template == null ? null : template.replace("{id}", tag.substring(colon + 1));
  }

  /** The pages waiting to be purged. */
  public synchronized Set<String> pending() {
    return Set.copyOf(pending.keySet());
  }

  /**
   * Takes the pages to purge, oldest first, with the commit position each purge follows; a purger
   * sends them to the CDN.
   */
  public synchronized List<Purge> drain() {
    List<Purge> purges = new ArrayList<>(pending.size());
    pending.forEach((page, position) -> purges.add(new Purge(page, position)));
    pending.clear();
    return purges;
  }

  /** Invalidations that added nothing: replays, or older than a purge already queued. */
  public synchronized long replays() {
    return replays;
  }

  /**
   * One page to purge.
   *
   * @param page its path
   * @param commitLsn the newest commit position whose change it must reflect after the purge
   */
  public record Purge(String page, long commitLsn) {}
}
