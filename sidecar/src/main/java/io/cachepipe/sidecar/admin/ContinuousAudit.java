package io.cachepipe.sidecar.admin;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.cachepipe.sidecar.RedisAccess;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The auditor running inside the sidecar on a sample: every interval it checks a random sample of
 * cached entries against PostgreSQL, with a grace period for invalidations in flight, and publishes
 * the fraction that was consistent within that grace period, plus running counts. An open
 * counterpart of Meta's Polaris: cachepipe measures its own promise in production.
 *
 * <p>Opt-in ({@link #INTERVAL}): it SCANs the keyspace and runs the warmable kinds' queries, which
 * is load and a Redis dependency that a process should take on only where asked to (a cdc-only
 * sidecar has no Redis to talk to otherwise). It connects at its first audit, not at start.
 */
final class ContinuousAudit implements AutoCloseable {

  static final ConfigField<Duration> INTERVAL =
      ConfigField.millis(
          "cachepipe.audit.interval.ms",
          0,
          0,
          "How often the sidecar audits a sample of cached entries against PostgreSQL (the"
              + " warmable kinds' queries) and publishes the consistent fraction; 0 = never, the"
              + " default: turn it on in one process (e.g. 30000), it SCANs Redis.");
  static final ConfigField<Integer> SAMPLE_SIZE =
      ConfigField.integer(
          "cachepipe.audit.sample.size",
          100,
          1,
          100_000,
          "Entries each continuous audit checks (a uniform sample of the tag registrations).");
  static final ConfigField<Duration> GRACE =
      ConfigField.millis(
          "cachepipe.audit.grace.ms",
          1_000,
          0,
          "How long an entry found different waits before it counts as stale: the T of"
              + " 'consistent within T'.");

  static final List<ConfigField<?>> FIELDS = List.of(INTERVAL, SAMPLE_SIZE, GRACE);

  private static final Logger LOG = LoggerFactory.getLogger(ContinuousAudit.class);

  private final RedisConnector client;
  private final Connections connections;
  private final List<WarmableEntry> kinds;
  private RedisSession redis;
  private ConsistencyAuditor auditor;
  private final int sampleSize;
  private final Duration grace;
  private final ScheduledExecutorService scheduler;
  private final AtomicLong consistent = new AtomicLong();
  private final AtomicLong stale = new AtomicLong();
  private final AtomicLong unverifiable = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile double lastFraction = Double.NaN;

  private ContinuousAudit(Settings settings, List<WarmableEntry> kinds, MeterRegistry registry) {
    this.connections = Connections.from(settings);
    this.kinds = kinds;
    this.sampleSize = settings.get(SAMPLE_SIZE);
    this.grace = settings.get(GRACE);
    this.client = RedisAccess.client(connections, Duration.ofSeconds(10));
    String within = grace.toMillis() + "ms";
    Gauge.builder("cachepipe.audit.consistent.fraction", this, a -> a.lastFraction)
        .tag("within", within)
        .description("Fraction of the last audited sample that matched PostgreSQL within the grace")
        .register(registry);
    FunctionCounter.builder("cachepipe.audit.entries", consistent, AtomicLong::get)
        .tags("result", "consistent", "within", within)
        .description("Cached entries the continuous audit checked, by result")
        .register(registry);
    FunctionCounter.builder("cachepipe.audit.entries", stale, AtomicLong::get)
        .tags("result", "stale", "within", within)
        .register(registry);
    FunctionCounter.builder("cachepipe.audit.entries", unverifiable, AtomicLong::get)
        .tags("result", "unverifiable", "within", within)
        .register(registry);
    FunctionCounter.builder("cachepipe.audit.failures", failures, AtomicLong::get)
        .description("Continuous audits that could not run (Redis or PostgreSQL failed)")
        .register(registry);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("cachepipe-audit"));
    long every = settings.get(INTERVAL).toMillis();
    scheduler.scheduleWithFixedDelay(this::auditOnce, every, every, TimeUnit.MILLISECONDS);
  }

  /** Starts it if configured (an interval and at least one warmable kind), else returns null. */
  static ContinuousAudit startIfConfigured(Settings settings, MeterRegistry registry) {
    List<WarmableEntry> kinds = WarmableEntry.from(settings);
    if (settings.get(INTERVAL).isZero() || kinds.isEmpty()) {
      return null;
    }
    return new ContinuousAudit(settings, kinds, registry);
  }

  /** The auditor, connected to Redis at its first use (Lettuce reconnects by itself after). */
  private ConsistencyAuditor auditor() {
    if (auditor == null) {
      redis = RedisAccess.connect(client);
      auditor =
          new ConsistencyAuditor(
              redis.commands(),
              () -> {
                Connection c =
                    DriverManager.getConnection(
                        connections.postgresUrl(),
                        connections.postgresUser(),
                        connections.postgresPassword());
                c.setReadOnly(true);
                return c;
              },
              kinds);
    }
    return auditor;
  }

  /** One sampled audit; never throws (a scheduled task that throws is never run again). */
  void auditOnce() {
    try {
      AuditResult result = auditor().auditSample(sampleSize, grace);
      consistent.addAndGet(result.checked() - result.stale());
      stale.addAndGet(result.stale());
      unverifiable.addAndGet(result.unverifiable());
      lastFraction = result.consistentFraction();
      if (result.stale() > 0) {
        LOG.warn(
            "continuous audit: {} of {} sampled entries stale after {} ms, e.g. {}",
            result.stale(),
            result.checked(),
            grace.toMillis(),
            result.staleEntries().get(0).key());
      }
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      LOG.warn("continuous audit failed: {}", e.getMessage());
    }
  }

  double lastFraction() {
    return lastFraction;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (redis != null) {
      redis.close();
    }
    client.close();
  }
}
