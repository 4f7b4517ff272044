package io.cachepipe.auditor;

import java.util.List;

/**
 * What an audit found.
 *
 * @param checked entries of a warmable kind that were compared with PostgreSQL (entries that
 *     expired or were evicted before they could be read are not counted)
 * @param unverifiable cached entries of other kinds: no configured query recomputes them, so they
 *     are counted, not checked
 * @param staleEntries the checked entries that differed from PostgreSQL, and still did after the
 *     grace period
 */
public record AuditResult(int checked, int unverifiable, List<StaleEntry> staleEntries) {

  public AuditResult {
    staleEntries = List.copyOf(staleEntries);
  }

  /** How many checked entries were stale. */
  public int stale() {
    return staleEntries.size();
  }

  /** The fraction of checked entries that were consistent; 1 when none was checked. */
  public double consistentFraction() {
    return checked == 0 ? 1.0 : (double) (checked - stale()) / checked;
  }
}
