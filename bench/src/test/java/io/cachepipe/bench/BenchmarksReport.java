package io.cachepipe.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Writes {@code docs/benchmarks.md} from the run records in {@code docs/benchmarks/runs/}, each the
 * JSON that {@code docs/benchmarks/record} wrote for one run: its command, date, machine, note and
 * the command's own JSON output. One section per kind of benchmark, newest run first, each run with
 * its command and a table of its figures as the JSON holds them; then issue 17's targets next to
 * the newest run that measures each. Nothing in it is typed by hand.
 *
 * <p>Only the JDK, so that it runs as a source file, from the repository's root:
 *
 * <pre>
 * java bench/src/test/java/io/cachepipe/bench/BenchmarksReport.java \
 *     [docs/benchmarks/runs [docs/benchmarks.md]]
 * </pre>
 */
public final class BenchmarksReport {

  static final String COMMAND = "java bench/src/test/java/io/cachepipe/bench/BenchmarksReport.java";
  static final String RECORDER = "docs/benchmarks/record";

  /** Where the records are, relative to the page (docs/benchmarks.md): the links' base. */
  private static final String RECORDS_FROM_PAGE = "benchmarks/runs/";

  private static final List<String> KIND_ORDER = List.of("latency", "near-drop", "demo", "jmh");
  private static final Map<String, String> TITLES =
      Map.of(
          "latency", "Latency vs offered load (`bench latency`)",
          "near-drop", "Commit → in-process drop (`bench near-drop`)",
          "demo", "The demo's summary (`demo --json`)",
          "jmh", "JMH: hot in-process paths",
          "other", "Other runs");

  /** The demo's summary has no scenario field: these keys tell it apart. */
  private static final List<String> DEMO_KEYS =
      List.of("changes", "evictions", "reads", "hit_ratio", "latency_ms");

  private BenchmarksReport() {}

  public static void main(String[] args) throws IOException {
    Path runs = Path.of(args.length > 0 ? args[0] : "docs/benchmarks/runs");
    Path output = Path.of(args.length > 1 ? args[1] : "docs/benchmarks.md");
    List<Run> records = read(runs);
    Files.writeString(output, markdown(records), StandardCharsets.UTF_8);
    System.out.println("wrote " + output + " (" + records.size() + " runs)");
  }

  /** Every {@code *.json} record in {@code dir}, newest first. */
  static List<Run> read(Path dir) throws IOException {
    List<Run> runs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        String name = file.getFileName().toString();
        try {
          runs.add(Run.of(name, Json.parse(Files.readString(file, StandardCharsets.UTF_8))));
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
      }
    }
    runs.sort(Comparator.comparing(Run::date).thenComparing(Run::file).reversed());
    return runs;
  }

  /** One run record: what {@code docs/benchmarks/record} wrote. */
  record Run(
      String file,
      String command,
      String date,
      Map<String, Object> machine,
      String note,
      Object output) {

    static Run of(String file, Object json) {
      Map<String, Object> record = Json.map(json, "a run record");
      for (String key : List.of("command", "date", "machine", "output")) {
        if (!record.containsKey(key)) {
          throw new IllegalArgumentException("no \"" + key + "\" field");
        }
      }
      return new Run(
          file,
          (String) record.get("command"),
          (String) record.get("date"),
          Json.map(record.get("machine"), "machine"),
          (String) record.get("note"),
          record.get("output"));
    }

    String name() {
      return file.endsWith(".json") ? file.substring(0, file.length() - 5) : file;
    }

    String kind() {
      return BenchmarksReport.kind(output);
    }
  }

  /** The section a command's output belongs to: its scenario, or what its fields say. */
  static String kind(Object output) {
    if (output instanceof List<?> list
        && !list.isEmpty()
        && list.stream()
            .allMatch(e -> e instanceof Map<?, ?> m && m.containsKey("primaryMetric"))) {
      return "jmh";
    }
    if (output instanceof Map<?, ?> map) {
      if (map.get("scenario") instanceof String scenario) {
        return scenario;
      }
      if (map.keySet().containsAll(DEMO_KEYS)) {
        return "demo";
      }
    }
    return "other";
  }

  static String markdown(List<Run> runs) {
    StringBuilder md = new StringBuilder();
    Preamble.append(md);
    Targets.append(md, runs);
    Set<String> kinds = new LinkedHashSet<>(KIND_ORDER);
    runs.stream().map(Run::kind).sorted().forEach(kinds::add);
    for (String kind : kinds) {
      List<Run> ofKind = runs.stream().filter(r -> r.kind().equals(kind)).toList();
      if (ofKind.isEmpty()) {
        continue;
      }
      md.append("## ")
          .append(TITLES.getOrDefault(kind, "`" + kind + "` (`bench " + kind + "`)"))
          .append("\n\n");
      Preamble.aboutKind(md, kind);
      for (Run run : ofKind) {
        appendRun(md, run);
      }
    }
    return md.toString();
  }

  private static void appendRun(StringBuilder md, Run run) {
    md.append("### ").append(run.name()).append("\n\n");
    md.append("```\n").append(run.command()).append("\n```\n\n");
    md.append("- record: [")
        .append(run.file())
        .append("](")
        .append(RECORDS_FROM_PAGE)
        .append(run.file())
        .append("), ")
        .append(run.date())
        .append("\n");
    md.append("- machine: ").append(pairs(run.machine())).append("\n");
    if (run.note() != null) {
      md.append("- note: ").append(run.note()).append("\n");
    }
    Map<String, Object> settings = settings(run.output());
    if (!settings.isEmpty()) {
      md.append("- run: ").append(pairs(settings)).append("\n");
    }
    md.append("\n").append(table(run.output()).markdown()).append("\n");
    List<String> others = otherFigures(run.output());
    if (!others.isEmpty()) {
      md.append("Other figures:\n\n");
      others.forEach(line -> md.append("- ").append(line).append("\n"));
      md.append("\n");
    }
  }

  /** The table of a command's output, by its kind. */
  static Table table(Object output) {
    return switch (kind(output)) {
      case "latency" -> latency(Json.map(output, "latency output"));
      case "near-drop" -> nearDrop(Json.map(output, "near-drop output"));
      case "jmh" -> jmh((List<?>) output);
      default -> keyValues(output);
    };
  }

  // --- latency: one row per rate

  private static final List<String> LATENCY_USED =
      List.of(
          "rate",
          "achieved_rate",
          "first_eviction_p50_ms",
          "first_eviction_p99_ms",
          "first_eviction_max_ms",
          "p50_ms",
          "p99_ms",
          "max_ms",
          "drain_ms",
          "cpu_cores",
          "rss_peak_mb");

  static Table latency(Map<String, Object> output) {
    List<Map<String, Object>> results = results(output);
    List<String> processes = new ArrayList<>();
    for (Map<String, Object> result : results) {
      if (result.get("cpu_cores") instanceof Map<?, ?> cores) {
        cores.keySet().stream()
            .map(String::valueOf)
            .filter(p -> !processes.contains(p))
            .forEach(processes::add);
      }
    }
    Table table =
        new Table(
            List.of(
                "offered/s",
                "achieved/s",
                "first eviction p50 / p99 / max ms",
                "through Kafka p50 / p99 / max ms",
                "drain ms",
                "CPU " + String.join(" / ", processes) + ", cores",
                "RSS peak MB"),
            "rrrrrlr");
    for (Map<String, Object> r : results) {
      Map<String, Object> cores =
          r.get("cpu_cores") instanceof Map<?, ?> ? Json.map(r.get("cpu_cores"), "") : Map.of();
      table.add(
          cell(r, "rate"),
          cell(r, "achieved_rate"),
          cells(r, "first_eviction_p50_ms", "first_eviction_p99_ms", "first_eviction_max_ms"),
          cells(r, "p50_ms", "p99_ms", "max_ms"),
          cell(r, "drain_ms"),
          cells(cores, processes.toArray(String[]::new)),
          cell(r, "rss_peak_mb"));
    }
    return table;
  }

  /** A latency output's per-rate results (with one rate they are at the top level too). */
  static List<Map<String, Object>> results(Map<String, Object> output) {
    List<Map<String, Object>> results = new ArrayList<>();
    if (output.get("results") instanceof List<?> list) {
      list.forEach(r -> results.add(Json.map(r, "a result")));
    }
    return results;
  }

  // --- near-drop: one row

  private static final List<String> NEAR_DROP_USED =
      List.of(
          "rate",
          "achieved_rate",
          "drops_measured",
          "drop_p50_ms",
          "drop_p99_ms",
          "drop_max_ms",
          "eviction_p50_ms",
          "eviction_p99_ms");

  static Table nearDrop(Map<String, Object> output) {
    Table table =
        new Table(
            List.of(
                "offered/s",
                "achieved/s",
                "drops measured",
                "drop p50 / p99 / max ms",
                "Redis eviction p50 / p99 ms"),
            "rrrrr");
    table.add(
        cell(output, "rate"),
        cell(output, "achieved_rate"),
        cell(output, "drops_measured"),
        cells(output, "drop_p50_ms", "drop_p99_ms", "drop_max_ms"),
        cells(output, "eviction_p50_ms", "eviction_p99_ms"));
    return table;
  }

  // --- JMH: one row per benchmark

  static Table jmh(List<?> output) {
    boolean params =
        output.stream().anyMatch(b -> b instanceof Map<?, ?> m && m.get("params") != null);
    List<String> headers = new ArrayList<>(List.of("benchmark"));
    if (params) {
      headers.add("params");
    }
    headers.addAll(List.of("mode", "forks", "score ± error", "unit"));
    Table table = new Table(headers, params ? "llllrl" : "lllrl");
    for (Object entry : output) {
      Map<String, Object> b = Json.map(entry, "a JMH result");
      Map<String, Object> metric = Json.map(b.get("primaryMetric"), "primaryMetric");
      List<String> row = new ArrayList<>(List.of("`" + b.get("benchmark") + "`"));
      if (params) {
        row.add(b.get("params") == null ? "" : pairs(Json.map(b.get("params"), "params")));
      }
      row.addAll(
          List.of(
              cell(b, "mode"),
              cell(b, "forks"),
              jmhFigure(metric.get("score")) + " ± " + jmhFigure(metric.get("scoreError")),
              cell(metric, "scoreUnit")));
      table.add(row.toArray(String[]::new));
    }
    return table;
  }

  /** A JMH score as JMH's own table prints it: three decimals (its JSON holds every digit). */
  static String jmhFigure(Object value) {
    if (value instanceof Json.Num n) {
      return n.value().setScale(3, java.math.RoundingMode.HALF_UP).toPlainString();
    }
    return cell(value);
  }

  // --- anything else, the demo's summary included: its scalar figures, nested maps as a.b

  static Table keyValues(Object output) {
    Table table = new Table(List.of("figure", "value"), "lr");
    Map<String, String> flat = new LinkedHashMap<>();
    flatten("", output, flat);
    flat.forEach((key, value) -> table.add("`" + key + "`", value));
    return table;
  }

  private static void flatten(String prefix, Object value, Map<String, String> into) {
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> flatten(prefix.isEmpty() ? k + "" : prefix + "." + k, v, into));
    } else if (value instanceof List<?> list) {
      boolean scalars = list.stream().noneMatch(e -> e instanceof Map || e instanceof List);
      into.put(
          prefix.isEmpty() ? "(list)" : prefix,
          scalars
              ? String.join(", ", list.stream().map(BenchmarksReport::cell).toList())
              : "a list of " + list.size() + ": see the record");
    } else if (!"scenario".equals(prefix)) {
      into.put(prefix.isEmpty() ? "(value)" : prefix, cell(value));
    }
  }

  // --- what a run's table leaves out

  /**
   * A latency run's settings: the fields before its results (after them, a run of one rate repeats
   * that rate's figures).
   */
  static Map<String, Object> settings(Object output) {
    Map<String, Object> settings = new LinkedHashMap<>();
    if ("latency".equals(kind(output))) {
      for (var field : Json.map(output, "").entrySet()) {
        if (field.getKey().equals("results")) {
          break;
        }
        if (!field.getKey().equals("scenario")) {
          settings.put(field.getKey(), field.getValue());
        }
      }
    }
    return settings;
  }

  /**
   * The figures a latency or near-drop table leaves out: for latency, one line per rate, without
   * what the run's settings say already.
   */
  static List<String> otherFigures(Object output) {
    List<String> lines = new ArrayList<>();
    switch (kind(output)) {
      case "latency" -> {
        Map<String, Object> settings = settings(output);
        for (Map<String, Object> r : results(Json.map(output, ""))) {
          Map<String, Object> rest = without(r, LATENCY_USED);
          settings.forEach((k, v) -> rest.remove(k, v));
          lines.add(cell(r, "rate") + "/s: " + pairs(rest));
        }
      }
      case "near-drop" -> {
        List<String> used = new ArrayList<>(NEAR_DROP_USED);
        used.add("scenario");
        lines.add(pairs(without(Json.map(output, ""), used)));
      }
      default -> {}
    }
    return lines;
  }

  private static Map<String, Object> without(Map<String, Object> map, List<String> keys) {
    Map<String, Object> rest = new LinkedHashMap<>(map);
    keys.forEach(rest::remove);
    return rest;
  }

  // --- cells: every number as its JSON text

  static String cell(Map<String, Object> map, String key) {
    return map.containsKey(key) ? cell(map.get(key)) : "–";
  }

  private static String cells(Map<String, Object> map, String... keys) {
    List<String> parts = new ArrayList<>();
    for (String key : keys) {
      parts.add(cell(map, key));
    }
    return String.join(" / ", parts);
  }

  static String cell(Object value) {
    if (value instanceof Json.Num n) {
      return n.text();
    }
    if (value instanceof Map<?, ?> || value instanceof List<?>) {
      return "`" + Json.write(value).replace("|", "\\|") + "`";
    }
    return String.valueOf(value).replace("|", "\\|").replace("\n", " ");
  }

  private static String pairs(Map<String, Object> map) {
    List<String> parts = new ArrayList<>();
    map.forEach((k, v) -> parts.add("`" + k + "` " + cell(v)));
    return String.join(", ", parts);
  }

  /** A Markdown table: a header, an alignment per column ({@code l} or {@code r}), rows. */
  record Table(List<String> headers, String align, List<List<String>> rows) {

    Table(List<String> headers, String align) {
      this(headers, align, new ArrayList<>());
      if (align.length() != headers.size()) {
        throw new IllegalArgumentException("one alignment per column: " + headers);
      }
    }

    void add(String... cells) {
      rows.add(List.of(cells));
    }

    String markdown() {
      StringBuilder md = new StringBuilder();
      md.append("| ").append(String.join(" | ", headers)).append(" |\n|");
      for (char a : align.toCharArray()) {
        md.append(a == 'r' ? "--:|" : "---|");
      }
      md.append("\n");
      rows.forEach(row -> md.append("| ").append(String.join(" | ", row)).append(" |\n"));
      return md.toString();
    }
  }

  /** Issue 17's targets, each next to the newest run that measures it. */
  static final class Targets {

    /** A measured value: its number, how it is shown, and the run it came from. */
    record Measured(BigDecimal value, String shown, Run run) {}

    /**
     * A target: what, its bound (at most: a number, or a baseline run's figure), the unit, and how
     * the newest measurement of it is found in the runs (newest first).
     */
    record Target(
        String what,
        Function<List<Run>, Optional<Measured>> atMost,
        String unit,
        Function<List<Run>, Optional<Measured>> find) {

      Target(
          String what, String atMost, String unit, Function<List<Run>, Optional<Measured>> find) {
        this(
            what,
            runs -> Optional.of(new Measured(new BigDecimal(atMost), atMost, null)),
            unit,
            find);
      }
    }

    static final List<Target> TARGETS =
        List.of(
            new Target(
                "commit → first eviction p50 at 2,000/s",
                "3",
                "ms",
                runs -> figure(runs, "on", "2000", "first_eviction_p50_ms")),
            new Target(
                "commit → first eviction p99 at 2,000/s",
                "15",
                "ms",
                runs -> figure(runs, "on", "2000", "first_eviction_p99_ms")),
            new Target(
                "commit → first eviction p99 at 5,000/s",
                "30",
                "ms",
                runs -> figure(runs, "on", "5000", "first_eviction_p99_ms")),
            new Target(
                "commit → eviction through Kafka alone (eager off) p50 at 2,000/s,"
                    + " no worse than before (issue 17's text)",
                "11.7",
                "ms",
                runs -> figure(runs, "off", "2000", "p50_ms")),
            new Target(
                "commit → eviction through Kafka alone (eager off) p99 at 2,000/s,"
                    + " no worse than before (issue 17's text)",
                "43.7",
                "ms",
                runs -> figure(runs, "off", "2000", "p99_ms")),
            new Target(
                "commit → eviction through Kafka alone (eager off) p50 at 2,000/s,"
                    + " no worse than the newest run from before the eviction at capture (no"
                    + " `eager_eviction` in its output)",
                runs -> figure(runs, null, "2000", "p50_ms"),
                "ms",
                runs -> figure(runs, "off", "2000", "p50_ms")),
            new Target(
                "commit → eviction through Kafka alone (eager off) p99 at 2,000/s,"
                    + " no worse than the newest run from before the eviction at capture",
                runs -> figure(runs, null, "2000", "p99_ms"),
                "ms",
                runs -> figure(runs, "off", "2000", "p99_ms")),
            new Target(
                "cores of cachepipe and the broker with no writes (rate 0):"
                    + " `cpu_cores.sidecar` + `cpu_cores.kafka`",
                "0.05",
                "cores",
                runs -> coresOfSidecarAndBroker(runs, "0")),
            new Target(
                "cores of cachepipe and the broker at 200/s:"
                    + " `cpu_cores.sidecar` + `cpu_cores.kafka`",
                "0.3",
                "cores",
                runs -> coresOfSidecarAndBroker(runs, "200")),
            new Target(
                "sidecar CPU per change at 5,000/s: `cpu_cores.sidecar` / `achieved_rate`",
                "100",
                "µs",
                Targets::sidecarMicrosPerChange),
            new Target(
                "sidecar resident memory (`rss_peak_mb`) at 2,000/s",
                "512",
                "MB",
                runs -> figure(runs, "on", "2000", "rss_peak_mb")),
            new Target(
                "sidecar resident memory (`rss_peak_mb`) at 5,000/s",
                "512",
                "MB",
                runs -> figure(runs, "on", "5000", "rss_peak_mb")));

    static void append(StringBuilder md, List<Run> runs) {
      md.append("## Targets (issue 17)\n\n")
          .append("Each target next to the newest run that measures it: a run of `./cachepipe")
          .append(" bench latency` with a 30 s warm-up (`--warmup 30s`), single-row transactions,")
          .append(" no `--config` and no environment set before the command (the defaults), with")
          .append(" the eviction at capture on (`eager_eviction`) unless the target says off,")
          .append(" whose results have the target's rate. Figures are the record's; a sum or")
          .append(" quotient is computed from them as the target says. A bound taken from a")
          .append(" run names that run.\n\n")
          .append("| target | at most | measured | | run |\n")
          .append("|---|--:|--:|---|---|\n");
      for (Target target : TARGETS) {
        Optional<Measured> bound = target.atMost().apply(runs);
        Optional<Measured> measured = target.find().apply(runs);
        md.append("| ").append(target.what()).append(" | ");
        if (bound.isEmpty()) {
          md.append("– | – | no run to compare with | – |\n");
          continue;
        }
        md.append(bound.get().shown()).append(" ").append(target.unit());
        if (bound.get().run() != null) {
          md.append(" (").append(link(bound.get().run())).append(")");
        }
        md.append(" | ");
        if (measured.isEmpty()) {
          md.append("– | not measured | – |\n");
          continue;
        }
        Measured m = measured.get();
        md.append(m.shown())
            .append(" ")
            .append(target.unit())
            .append(" | ")
            .append(verdict(m.value(), bound.get().value(), target.unit()))
            .append(" | ")
            .append(link(m.run()))
            .append(" |\n");
      }
      md.append("\n");
    }

    private static String link(Run run) {
      return "[" + run.name() + "](" + RECORDS_FROM_PAGE + run.file() + ")";
    }

    /** "met", or "missed by" the difference and the ratio. */
    static String verdict(BigDecimal value, BigDecimal atMost, String unit) {
      if (value.compareTo(atMost) <= 0) {
        return "met";
      }
      String by = value.subtract(atMost).stripTrailingZeros().toPlainString();
      String times =
          atMost.signum() == 0
              ? ""
              : " (" + value.divide(atMost, 2, RoundingMode.HALF_UP).toPlainString() + "×)";
      return "missed by " + by + " " + unit + times;
    }

    /** The newest matching run's result at {@code rate}, with that run. */
    static Optional<Map.Entry<Run, Map<String, Object>>> resultAt(
        List<Run> runs, String eager, String rate) {
      BigDecimal wanted = new BigDecimal(rate);
      for (Run run : runs) {
        if (!matches(run, eager)) {
          continue;
        }
        for (Map<String, Object> result : results(Json.map(run.output(), ""))) {
          if (result.get("rate") instanceof Json.Num n && n.value().compareTo(wanted) == 0) {
            return Optional.of(Map.entry(run, result));
          }
        }
      }
      return Optional.empty();
    }

    /**
     * A latency run on the defaults, as the targets are stated, with the eviction at capture {@code
     * eager} ("on", "off"; null: from before it existed, no such field in the output).
     */
    static boolean matches(Run run, String eager) {
      if (!"latency".equals(run.kind())) {
        return false;
      }
      Map<String, Object> output = Json.map(run.output(), "");
      List<String> words = List.of(run.command().trim().split("\\s+"));
      return words.size() > 3
          && words.subList(0, 3).equals(List.of("./cachepipe", "bench", "latency"))
          && option(words, "--config").isEmpty()
          && option(words, "--warmup").equals(Optional.of("30s"))
          && output.get("rows_per_tx") instanceof Json.Num rows
          && rows.value().compareTo(BigDecimal.ONE) == 0
          && (eager == null
              ? !output.containsKey("eager_eviction")
              : eager.equals(output.get("eager_eviction")));
    }

    /** An option's value, as {@code --name value} or {@code --name=value}. */
    private static Optional<String> option(List<String> words, String name) {
      for (int i = 0; i < words.size(); i++) {
        if (words.get(i).equals(name)) {
          return Optional.of(i + 1 < words.size() ? words.get(i + 1) : "");
        }
        if (words.get(i).startsWith(name + "=")) {
          return Optional.of(words.get(i).substring(name.length() + 1));
        }
      }
      return Optional.empty();
    }

    static Optional<Measured> figure(List<Run> runs, String eager, String rate, String key) {
      return resultAt(runs, eager, rate)
          .filter(e -> e.getValue().get(key) instanceof Json.Num)
          .map(
              e -> {
                Json.Num n = (Json.Num) e.getValue().get(key);
                return new Measured(n.value(), n.text(), e.getKey());
              });
    }

    static Optional<Measured> coresOfSidecarAndBroker(List<Run> runs, String rate) {
      return resultAt(runs, "on", rate)
          .flatMap(
              e -> {
                Map<String, Object> result = e.getValue();
                Optional<Json.Num> sidecar = core(result, "sidecar");
                Optional<Json.Num> kafka = core(result, "kafka");
                if (sidecar.isEmpty() || kafka.isEmpty()) {
                  return Optional.empty();
                }
                BigDecimal sum = sidecar.get().value().add(kafka.get().value());
                String shown =
                    sum.toPlainString()
                        + " ("
                        + sidecar.get().text()
                        + " + "
                        + kafka.get().text()
                        + ")";
                return Optional.of(new Measured(sum, shown, e.getKey()));
              });
    }

    static Optional<Measured> sidecarMicrosPerChange(List<Run> runs) {
      return resultAt(runs, "on", "5000")
          .flatMap(
              e -> {
                Optional<Json.Num> sidecar = core(e.getValue(), "sidecar");
                if (sidecar.isEmpty()
                    || !(e.getValue().get("achieved_rate") instanceof Json.Num achieved)
                    || achieved.value().signum() <= 0) {
                  return Optional.empty();
                }
                BigDecimal micros =
                    sidecar
                        .get()
                        .value()
                        .multiply(BigDecimal.valueOf(1_000_000))
                        .divide(achieved.value(), 1, RoundingMode.HALF_UP);
                String shown =
                    micros.toPlainString()
                        + " ("
                        + sidecar.get().text()
                        + " cores / "
                        + achieved.text()
                        + "/s)";
                return Optional.of(new Measured(micros, shown, e.getKey()));
              });
    }

    private static Optional<Json.Num> core(Map<String, Object> result, String process) {
      return result.get("cpu_cores") instanceof Map<?, ?> cores
              && cores.get(process) instanceof Json.Num n
          ? Optional.of(n)
          : Optional.empty();
    }
  }

  /** The page's fixed text: how the figures are made and measured. None of it is a figure. */
  static final class Preamble {

    static void append(StringBuilder md) {
      md.append("# Benchmarks\n\n")
          .append("<!-- Generated: do not edit. Record a run (this regenerates the page):\n")
          .append("       ")
          .append(RECORDER)
          .append(" NAME [--note TEXT] -- ./cachepipe bench ... --json\n")
          .append("     or regenerate it from the records:\n")
          .append("       ")
          .append(COMMAND)
          .append("\n-->\n\n")
          .append("Generated by `")
          .append(COMMAND)
          .append("` from the run records in [`docs/benchmarks/runs/`](benchmarks/runs/), one")
          .append(" JSON file per run, each written by `")
          .append(RECORDER)
          .append("` as the run ended: the exact command, from the repository's root; when it")
          .append(" started; the machine as the recorder read it (cores, CPU model, RAM, the Java")
          .append(" version); a note, when there is one; and the command's own JSON output,")
          .append(" verbatim. Every figure on this page is that output's, printed as its JSON")
          .append(" holds it; the targets' sums and quotients are computed from them, as each")
          .append(" says. None is typed by hand. The figures typed by hand before this record")
          .append(" began, with their commands, and what they explain (what limits the pipeline,")
          .append(" what moved the numbers, what was tried and not kept) are in")
          .append(" [benchmarks-history.md](benchmarks-history.md). Why today's targets are")
          .append(" missed, measured: [benchmarks/limits.md](benchmarks/limits.md).\n\n")
          .append("**The machine.** `./cachepipe bench` and `./cachepipe demo` start their own")
          .append(" servers on the machine they run on: PostgreSQL 17 (zonky's embedded")
          .append(" binaries, fsync off), a KRaft Kafka broker in a child JVM and `redis-server`")
          .append(" from the PATH. PostgreSQL, Kafka, Redis and cachepipe (and the load's writers)")
          .append(" share its cores. A run measures the machine as it was: one shared with other")
          .append(" work measures that work too, and its record's note says so. Runs of one")
          .append(" command on one machine differ from each other (by tens of percent on the")
          .append(" history's 2-core machine): compare within one session.\n\n")
          .append("**JIT.** `./cachepipe bench` runs its JVM and the local broker's with full")
          .append(" tiered compilation (C2), at `-Xmx384m`: a benchmark measures the steady state")
          .append(" of a long-running sidecar, and C2 code takes less CPU per change than C1 code.")
          .append(" C2's compilations take a core for the first half-minute or so; a rate")
          .append(" measured inside that window builds a backlog that has nothing to do with the")
          .append(" steady state, so the commands warm up for 30 s first (`--warmup 30s`).")
          .append(" `./cachepipe demo` keeps C1 only (`-XX:TieredStopAtLevel=1`) for its fast")
          .append(" start.\n\n")
          .append("**CPU.** `cpu_cores` are the cores used by each process over the measured")
          .append(" window (`/proc`, each process's CPU time over the time between its own two")
          .append(" readings, counting only the pids seen in both or started since): `sidecar` is")
          .append(" the benchmark's JVM, which runs every stage; `writers` the load's writers, in")
          .append(" a JVM of their own (since issue 17 item 4; before it they ran in the")
          .append(" sidecar's); `postgres`, `kafka` and `redis` the servers; `machine` the whole")
          .append(" machine's busy time (`/proc/stat`, in cores: 2.0 is both cores of a 2-core")
          .append(" machine), the check on the others' sum.\n\n")
          .append("**Memory.** `rss_peak_mb` (in `bench latency` per rate, in `bench ceiling`")
          .append(" for the confirmation) is the benchmark JVM's peak resident set size (`VmHWM`")
          .append(" in `/proc/self/status`), restarted at the beginning of each rate's step (by")
          .append(" writing `5` to `/proc/self/clear_refs`, Linux 4.0 and later; where that is")
          .append(" refused, the command says so and the peak counts from the JVM's start) and")
          .append(" read after the step's drain. Since that JVM also runs the benchmark's")
          .append(" bookkeeping, it is an upper bound for a sidecar running the stages alone.\n\n");
    }

    /** What a section's columns mean. */
    static void aboutKind(StringBuilder md, String kind) {
      switch (kind) {
        case "latency" ->
            md.append(
                "Single-row (or `rows_per_tx`-row) `UPDATE posts SET view_count = view_count + 1` "
                    + "transactions at a fixed offered rate for the run's duration after its "
                    + "warm-up, on one pipeline. Latencies count every change applied from the "
                    + "end of the warm-up until the backlog drained after the writers stopped. "
                    + "`first eviction` is commit → the change's first eviction: the one at "
                    + "capture (the cdc stage's own measure, per change) unless `eager_eviction` "
                    + "is off, when it is the one through Kafka. `through Kafka` is commit → the "
                    + "invalidator's eviction step (per invalidation), which with the eviction at "
                    + "capture on is almost always a skip of a tag already evicted. `drain ms`: "
                    + "from the writers' stop until every change was evicted.\n\n");
        case "near-drop" ->
            md.append(
                "Single-row updates at the offered rate with every stage running, and an "
                    + "`InvalidationsConsumer` (the near cache's consumer) timing each "
                    + "invalidation from its `commit_ts_us` to the listener call, the moment a "
                    + "near cache drops the tag's entries. `Redis eviction` is the invalidator's "
                    + "own commit → Redis eviction of the same run.\n\n");
        case "demo" ->
            md.append(
                "The demo's workload (writes of every kind, user-stats reads through the "
                    + "cache-client) and its summary, every key of it; `steady_` figures leave "
                    + "out the run's first `warmup_s` seconds, the others are of the whole "
                    + "run.\n\n");
        case "jmh" ->
            md.append(
                "Microbenchmarks of the per-change work inside the JVMs (the `jmh` module), no "
                    + "servers: score ± error from JMH's JSON result (`-rf json -rff FILE`), to three "
                    + "decimals as JMH prints them.\n\n");
        default ->
            md.append(
                "No table of its own for this kind yet: the output's figures, nested ones as "
                    + "`a.b`, lists left in the record.\n\n");
      }
    }
  }

  /**
   * A JSON reader and writer: objects (in order), arrays, strings, booleans, null, and numbers as
   * their text ({@link Num}), so that a figure is printed exactly as the command wrote it.
   */
  static final class Json {

    /** A JSON number, kept as written. */
    record Num(String text) {
      BigDecimal value() {
        return new BigDecimal(text);
      }

      @Override
      public String toString() {
        return text;
      }
    }

    private final String text;
    private int at;

    private Json(String text) {
      this.text = text;
    }

    static Object parse(String text) {
      Json json = new Json(text);
      Object value = json.value();
      json.skipSpace();
      if (json.at != text.length()) {
        throw json.error("end of input");
      }
      return value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value, String what) {
      if (value instanceof Map<?, ?> map) {
        return (Map<String, Object>) map;
      }
      throw new IllegalArgumentException(what + " is not a JSON object: " + value);
    }

    /** Compact JSON of a parsed value (numbers as their text). */
    static String write(Object value) {
      if (value instanceof Map<?, ?> map) {
        List<String> parts = new ArrayList<>();
        map.forEach((k, v) -> parts.add(quote(String.valueOf(k)) + ":" + write(v)));
        return "{" + String.join(",", parts) + "}";
      }
      if (value instanceof List<?> list) {
        return "[" + String.join(",", list.stream().map(Json::write).toList()) + "]";
      }
      return value instanceof String s ? quote(s) : String.valueOf(value);
    }

    private static String quote(String s) {
      StringBuilder q = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        switch (c) {
          case '"' -> q.append("\\\"");
          case '\\' -> q.append("\\\\");
          case '\n' -> q.append("\\n");
          default -> {
            if (c < 0x20) {
              q.append(String.format("\\u%04x", (int) c));
            } else {
              q.append(c);
            }
          }
        }
      }
      return q.append('"').toString();
    }

    private Object value() {
      skipSpace();
      if (at >= text.length()) {
        throw error("a value");
      }
      char c = text.charAt(at);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        default:
          break;
      }
      for (String word : List.of("true", "false", "null")) {
        if (text.startsWith(word, at)) {
          at += word.length();
          return word.equals("null") ? null : Boolean.valueOf(word);
        }
      }
      int start = at;
      while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
      String number = text.substring(start, at);
      if (!number.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")) {
        at = start;
        throw error("a value");
      }
      return new Num(number);
    }

    private Map<String, Object> object() {
      Map<String, Object> map = new LinkedHashMap<>();
      at++; // {
      skipSpace();
      if (peek() == '}') {
        at++;
        return map;
      }
      while (true) {
        skipSpace();
        if (peek() != '"') {
          throw error("a key");
        }
        String key = string();
        skipSpace();
        expect(':');
        map.put(key, value());
        skipSpace();
        char c = next();
        if (c == '}') {
          return map;
        }
        if (c != ',') {
          at--;
          throw error(", or }");
        }
      }
    }

    private List<Object> array() {
      List<Object> list = new ArrayList<>();
      at++; // [
      skipSpace();
      if (peek() == ']') {
        at++;
        return list;
      }
      while (true) {
        list.add(value());
        skipSpace();
        char c = next();
        if (c == ']') {
          return list;
        }
        if (c != ',') {
          at--;
          throw error(", or ]");
        }
      }
    }

    private String string() {
      at++; // "
      StringBuilder s = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return s.toString();
        }
        if (c != '\\') {
          s.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case 'n' -> s.append('\n');
          case 't' -> s.append('\t');
          case 'r' -> s.append('\r');
          case 'b' -> s.append('\b');
          case 'f' -> s.append('\f');
          case 'u' -> {
            if (at + 4 > text.length()) {
              throw error("four hex digits");
            }
            s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
            at += 4;
          }
          default -> s.append(e); // \" \\ \/
        }
      }
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error(String.valueOf(c));
      }
      at++;
    }

    private char peek() {
      if (at >= text.length()) {
        throw error("more input");
      }
      return text.charAt(at);
    }

    private char next() {
      char c = peek();
      at++;
      return c;
    }

    private void skipSpace() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    private IllegalArgumentException error(String expected) {
      int from = Math.max(0, at - 20);
      String near = text.substring(from, Math.min(text.length(), at + 20)).replace('\n', ' ');
      return new IllegalArgumentException(
          "JSON: expected " + expected + " at offset " + at + ", near '" + near + "'");
    }
  }
}
