package io.cachepipe.sidecar.audit;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.auditor.StaleEntry;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.warm.WarmKinds;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.RedisAccess;
import io.cachepipe.sidecar.SidecarConfig;
import io.cachepipe.sidecar.cli.DurationConverter;
import io.cachepipe.sidecar.db.DatabaseOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cachepipe audit}: are the cached entries true to PostgreSQL right now? */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Checks cached entries against PostgreSQL. Entries are found through the tag registries"
          + " (SCAN and SSCAN, never KEYS); each entry of a warm kind (cachepipe.warm.<name>.*, a"
          + " row or a list) is recomputed with that kind's query, as the warmer does, and"
          + " compared as JSON. Entries of other kinds are counted as unverifiable.",
      "An entry that differs is checked again after --grace, and counts as stale only if it"
          + " still differs: an invalidation in flight is not staleness.",
      "Exits 1 when stale entries remain, or when the audit cannot be done."
    })
public final class AuditCommand implements Callable<Integer> {

  @Mixin DatabaseOptions db;

  @Option(
      names = {"--redis", "--redis-uri"},
      paramLabel = "URL",
      description =
          "The Redis (redis://host:port; with cachepipe.redis.mode=cluster, seed nodes,"
              + " comma-separated); default: cachepipe.redis.uri of --config or the"
              + " environment.")
  String redis;

  @Option(
      names = "--redis-password-file",
      paramLabel = "FILE",
      description =
          "A file holding the Redis password (overrides cachepipe.redis.password.file); default:"
              + " from the configuration, else REDISCLI_AUTH.")
  Path redisPasswordFile;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description =
          "How long to wait before checking again the entries found different (default"
              + " ${DEFAULT-VALUE}).")
  Duration grace;

  @Option(
      names = "--sample",
      paramLabel = "N",
      description = "Check a random sample of at most N entries instead of all of them.")
  Integer sample;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (sample != null && sample < 1) {
      throw new ParameterException(spec.commandLine(), "--sample must be at least 1");
    }
    if (grace.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--grace must not be negative");
    }
    Settings settings = db.settings();
    if (redis != null) {
      settings = settings.with(Connections.REDIS_URI.name(), redis);
    }
    if (redisPasswordFile != null) {
      settings =
          settings
              .with(Connections.REDIS_PASSWORD.name(), "")
              .with(Connections.REDIS_PASSWORD_FILE.name(), redisPasswordFile.toString());
    }
    SidecarConfig.validate(settings);
    Settings config = settings;
    List<WarmableEntry> kinds = WarmableEntry.from(config);
    AuditResult result;
    Connections connections = Connections.from(config);
    try (RedisConnector client = RedisAccess.client(connections, Duration.ofSeconds(10));
        RedisSession session = RedisAccess.connect(client)) {
      ConsistencyAuditor auditor =
          new ConsistencyAuditor(session.commands(), () -> DatabaseOptions.connect(config), kinds);
      result = sample == null ? auditor.auditAll(grace) : auditor.auditSample(sample, grace);
    }
    if (kinds.isEmpty()) {
      spec.commandLine()
          .getErr()
          .println(
              "cachepipe: no warm kind is configured (cachepipe.warm.<name>.*, or "
                  + WarmKinds.DEFAULTS.name()
                  + "=example for the example schema's user_stats): no entry can be checked");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (db.json()) {
      DatabaseOptions.printJson(out, json(result));
    } else {
      text(result, out);
    }
    return result.stale() == 0 ? 0 : Main.FAILED;
  }

  private Map<String, Object> json(AuditResult result) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("checked", result.checked());
    doc.put("stale", result.stale());
    doc.put("unverifiable", result.unverifiable());
    doc.put("consistent_fraction", result.consistentFraction());
    doc.put("grace_ms", grace.toMillis());
    doc.put("sample", sample);
    List<Map<String, Object>> stale = new ArrayList<>();
    for (StaleEntry e : result.staleEntries()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("key", e.key());
      entry.put("kind", e.kind());
      entry.put("cached", e.cached());
      entry.put("true_value", e.trueValue());
      entry.put("age_ms", e.ageMillis());
      entry.put("ttl_remaining_ms", e.ttlRemainingMillis());
      stale.add(entry);
    }
    doc.put("stale_entries", stale);
    return doc;
  }

  private void text(AuditResult result, PrintWriter out) {
    for (StaleEntry e : result.staleEntries()) {
      out.printf(
          Locale.ROOT,
          "STALE %s: cached %s, PostgreSQL has %s; %s%n",
          e.key(),
          e.cached(),
          e.trueValue(),
          e.ageMillis() != null
              ? String.format(Locale.ROOT, "cached for %.1f s", e.ageMillis() / 1000.0)
              : e.ttlRemainingMillis() < 0
                  ? "age unknown (no TTL)"
                  : "age unknown (" + e.ttlRemainingMillis() + " ms of TTL left)");
    }
    out.printf(
        Locale.ROOT,
        "%s%d entries checked against PostgreSQL: %d stale after a %d ms grace period, %d"
            + " consistent (%.1f%%); %d of other kinds unverifiable%n",
        sample == null ? "" : "sample: ",
        result.checked(),
        result.stale(),
        grace.toMillis(),
        result.checked() - result.stale(),
        result.consistentFraction() * 100,
        result.unverifiable());
  }
}
