package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cachepipe.bench.BenchmarksReport.Json;
import io.cachepipe.bench.BenchmarksReport.Run;
import io.cachepipe.bench.BenchmarksReport.Table;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/benchmarks.md is what the run records make, each kind of output renders its own figures as
 * their JSON holds them, and the recorder keeps a run only when it succeeded and printed JSON.
 */
class BenchmarksReportTest {

  private static final Path ROOT = Path.of("..");

  private static final String TWO_RATES =
      """
      {"scenario":"latency","rows_per_tx":1,"eager_eviction":"on","cores":2,"results":[
        {"rate":200.0,"achieved_rate":199,"duration_s":20,"p50_ms":12.58,"p99_ms":62.85,
         "max_ms":144.38,"drain_ms":557,"eager_eviction":"on","first_eviction_p50_ms":8.84,
         "first_eviction_p99_ms":40.13,"first_eviction_max_ms":138.75,"eager_missed_changes":0,
         "cpu_cores":{"sidecar":0.83,"kafka":0.32},"rss_peak_mb":296.0},
        {"rate":2000.0,"achieved_rate":2001,"duration_s":20,"p50_ms":14.1,"p99_ms":70.0,
         "max_ms":90.5,"drain_ms":610,"eager_eviction":"on","first_eviction_p50_ms":2.5,
         "first_eviction_p99_ms":15.01,"first_eviction_max_ms":60.25,"eager_missed_changes":3,
         "cpu_cores":{"sidecar":0.9,"kafka":0.4,"writers":0.1},"rss_peak_mb":310.5}]}
      """;

  @Test
  void docsBenchmarksIsWhatTheRunRecordsMake(@TempDir Path dir) throws Exception {
    Path generated = dir.resolve("benchmarks.md");

    BenchmarksReport.main(
        new String[] {ROOT.resolve("docs/benchmarks/runs").toString(), generated.toString()});

    assertThat(ROOT.resolve("docs/benchmarks.md")).exists();
    assertThat(Files.readString(ROOT.resolve("docs/benchmarks.md")))
        .as(
            "docs/benchmarks.md is not what docs/benchmarks/runs/ make: regenerate it from the"
                + " repository's root with "
                + BenchmarksReport.COMMAND)
        .isEqualTo(Files.readString(generated));
  }

  @Test
  void aLatencyRunHasOneRowPerRateWithTheCoresOfEveryProcess() {
    Table table = BenchmarksReport.table(Json.parse(TWO_RATES));

    assertThat(table.headers())
        .containsExactly(
            "offered/s",
            "achieved/s",
            "first eviction p50 / p99 / max ms",
            "through Kafka p50 / p99 / max ms",
            "drain ms",
            "CPU sidecar / kafka / writers, cores",
            "RSS peak MB");
    assertThat(table.rows())
        .containsExactly(
            List.of(
                "200.0",
                "199",
                "8.84 / 40.13 / 138.75",
                "12.58 / 62.85 / 144.38",
                "557",
                "0.83 / 0.32 / –",
                "296.0"),
            List.of(
                "2000.0",
                "2001",
                "2.5 / 15.01 / 60.25",
                "14.1 / 70.0 / 90.5",
                "610",
                "0.9 / 0.4 / 0.1",
                "310.5"));
    assertThat(BenchmarksReport.otherFigures(Json.parse(TWO_RATES)))
        .containsExactly(
            "200.0/s: `duration_s` 20, `eager_missed_changes` 0",
            "2000.0/s: `duration_s` 20, `eager_missed_changes` 3");
    assertThat(BenchmarksReport.settings(Json.parse(TWO_RATES)))
        .containsOnlyKeys("rows_per_tx", "eager_eviction", "cores");
  }

  @Test
  void aJmhResultHasOneRowPerBenchmarkWithScoreAndErrorAsWritten() {
    Object output =
        Json.parse(
            """
            [{"jmhVersion":"1.37","benchmark":"io.cachepipe.client.NearCacheHitBenchmark.hit",
              "mode":"avgt","threads":1,"forks":1,
              "primaryMetric":{"score":473.51004273419966,"scoreError":84.014,
                "scoreUnit":"ns/op","rawData":[[470.1,480.2]]}},
             {"benchmark":"io.cachepipe.invalidator.DedupeBenchmark.batch","mode":"avgt",
              "forks":1,"params":{"invalidations":"500","tags":"100"},
              "primaryMetric":{"score":9.126,"scoreError":"NaN","scoreUnit":"us/op"}}]
            """);

    Table table = BenchmarksReport.table(output);

    assertThat(table.headers())
        .containsExactly("benchmark", "params", "mode", "forks", "score ± error", "unit");
    assertThat(table.rows())
        .containsExactly(
            List.of(
                "`io.cachepipe.client.NearCacheHitBenchmark.hit`",
                "",
                "avgt",
                "1",
                "473.510 ± 84.014",
                "ns/op"),
            List.of(
                "`io.cachepipe.invalidator.DedupeBenchmark.batch`",
                "`invalidations` 500, `tags` 100",
                "avgt",
                "1",
                "9.126 ± NaN",
                "us/op"));
  }

  @Test
  void anUnknownScenarioIsAKeyValueTableWithNestedMapsFlattened() {
    Object output =
        Json.parse(
            """
            {"scenario":"future","ceiling_rate":null,"confirmed":true,"big":1.0E7,
             "cpu_cores":{"sidecar":0.79,"nested":{"deeper":"a|b"}},
             "shortfalls":["p99","lag"],"steps":[{"rate":1000},{"rate":2000}]}
            """);

    Table table = BenchmarksReport.table(output);

    assertThat(BenchmarksReport.kind(output)).isEqualTo("future");
    assertThat(table.headers()).containsExactly("figure", "value");
    assertThat(table.rows())
        .containsExactly(
            List.of("`ceiling_rate`", "null"),
            List.of("`confirmed`", "true"),
            List.of("`big`", "1.0E7"),
            List.of("`cpu_cores.sidecar`", "0.79"),
            List.of("`cpu_cores.nested.deeper`", "a\\|b"),
            List.of("`shortfalls`", "p99, lag"),
            List.of("`steps`", "a list of 2: see the record"));
  }

  @Test
  void theDemosSummaryIsRecognisedByItsFieldsAndShowsEveryKey() {
    Object output =
        Json.parse(
            """
            {"changes":9099,"evictions":15341,"reads":26969,"hit_ratio":0.971,
             "near_cache":{"hits":5,"served_in_process":0.5},
             "latency_ms":{"p50":44.447,"p99":2383.871},"steady_latency_ms":null}
            """);

    assertThat(BenchmarksReport.kind(output)).isEqualTo("demo");
    assertThat(BenchmarksReport.table(output).rows())
        .contains(
            List.of("`changes`", "9099"),
            List.of("`near_cache.served_in_process`", "0.5"),
            List.of("`latency_ms.p99`", "2383.871"),
            List.of("`steady_latency_ms`", "null"));
  }

  @Test
  void aNearDropRunHasItsDropsAndTheSameRunsEvictions() {
    Object output =
        Json.parse(
            """
            {"rate":2000.0,"achieved_rate":1722,"drops_measured":40000,"drop_p50_ms":20.5,
             "drop_p99_ms":22.43,"drop_max_ms":30.0,"eviction_p50_ms":19.61,
             "eviction_p99_ms":22.84,"consumer":"polls=10","scenario":"near-drop","cores":2}
            """);

    assertThat(BenchmarksReport.table(output).rows())
        .containsExactly(
            List.of("2000.0", "1722", "40000", "20.5 / 22.43 / 30.0", "19.61 / 22.84"));
    assertThat(BenchmarksReport.otherFigures(output))
        .containsExactly("`consumer` polls=10, `cores` 2");
  }

  @Test
  void eachTargetIsMetMissedByHowMuchOrNotMeasured() {
    Run eagerOn =
        run(
            "2026-12-03-on.json",
            "2026-12-03T15:00:00Z",
            "./cachepipe bench latency --rate 200,2000 --duration 20s --warmup 30s --json",
            TWO_RATES);
    Run olderWithBetterFigures =
        run(
            "2026-12-02-old.json",
            "2026-12-02T15:00:00Z",
            "./cachepipe bench latency --rate 2000 --duration 20s --warmup 30s --json",
            TWO_RATES.replace("\"first_eviction_p50_ms\":2.5", "\"first_eviction_p50_ms\":1.0"));
    Run tuned =
        run(
            "2026-12-04-tuned.json",
            "2026-12-04T15:00:00Z",
            "CACHEPIPE_CDC_POLL_INTERVAL_MS=1 ./cachepipe bench latency --rate 2000 --warmup 30s",
            TWO_RATES.replace("\"first_eviction_p99_ms\":15.01", "\"first_eviction_p99_ms\":1"));

    Run beforeEagerEviction =
        run(
            "2026-12-01-base.json",
            "2026-12-01T15:00:00Z",
            "./cachepipe bench latency --rate 2000 --duration 20s --warmup 30s --json",
            TWO_RATES.replace("\"eager_eviction\":\"on\",", ""));
    Run eagerOff =
        run(
            "2026-12-02-off.json",
            "2026-12-02T16:00:00Z",
            "./cachepipe bench latency --rate 2000 --duration 20s --warmup 30s --json --eager off",
            TWO_RATES
                .replace("\"eager_eviction\":\"on\"", "\"eager_eviction\":\"off\"")
                .replace("\"p50_ms\":14.1", "\"p50_ms\":15.0"));

    String md =
        BenchmarksReport.markdown(
            List.of(tuned, eagerOn, eagerOff, olderWithBetterFigures, beforeEagerEviction));

    assertThat(md)
        .contains(
            "| commit → first eviction p50 at 2,000/s | 3 ms | 2.5 ms | met |"
                + " [2026-12-03-on](benchmarks/runs/2026-12-03-on.json) |")
        .contains(
            "| commit → first eviction p99 at 2,000/s | 15 ms | 15.01 ms |"
                + " missed by 0.01 ms (1.00×) |")
        .contains("| commit → first eviction p99 at 5,000/s | 30 ms | – | not measured | – |")
        .contains(
            "through Kafka alone (eager off) p50 at 2,000/s, no worse than before (issue 17's"
                + " text) | 11.7 ms | 15.0 ms | missed by 3.3 ms (1.28×) |"
                + " [2026-12-02-off](benchmarks/runs/2026-12-02-off.json) |")
        .contains(
            "(no `eager_eviction` in its output) | 14.1 ms ([2026-12-01-base]"
                + "(benchmarks/runs/2026-12-01-base.json)) | 15.0 ms | missed by 0.9 ms (1.06×) |")
        .contains(
            "before the eviction at capture | 70.0 ms ([2026-12-01-base]"
                + "(benchmarks/runs/2026-12-01-base.json)) | 70.0 ms | met |")
        .contains(
            "at 200/s: `cpu_cores.sidecar` + `cpu_cores.kafka` | 0.3 cores |"
                + " 1.15 (0.83 + 0.32) cores | missed by 0.85 cores (3.83×) |")
        .contains(
            "with no writes (rate 0): `cpu_cores.sidecar` + `cpu_cores.kafka` | 0.05 cores | –")
        .contains("(`rss_peak_mb`) at 2,000/s | 512 MB | 310.5 MB | met |")
        .contains("(`rss_peak_mb`) at 5,000/s | 512 MB | – | not measured | – |");
  }

  @Test
  void theReaderKeepsNumbersAsWrittenAndRefusesBrokenJson() {
    Map<String, Object> parsed =
        Json.map(Json.parse("{\"a\":1.0E7,\"b\":\"x\\u00e9\\\"\",\"c\":[-0.5,true]}"), "");

    assertThat(parsed.get("a")).isEqualTo(new Json.Num("1.0E7"));
    assertThat(parsed.get("b")).isEqualTo("xé\"");
    assertThat(parsed.get("c")).isEqualTo(List.of(new Json.Num("-0.5"), true));
    assertThatThrownBy(() -> Json.parse("{\"a\":1,}")).hasMessageContaining("expected a key");
    assertThatThrownBy(() -> Json.parse("{\"a\":01}")).hasMessageContaining("expected");
    assertThatThrownBy(() -> Json.parse("{\"a\":1} x")).hasMessageContaining("end of input");
  }

  @Test
  void theRecorderWritesNothingWhenTheCommandFailsOrPrintsNoJson(@TempDir Path dir)
      throws Exception {
    Path recorder = recorderIn(dir);

    assertThat(record(recorder, "failed", "sh", "-c", "echo '{\"a\": 1}'; exit 3")).isEqualTo(3);
    assertThat(record(recorder, "silent", "sh", "-c", "echo progress; echo '[not json'"))
        .isNotZero();
    assertThat(dir.resolve("docs/benchmarks/runs")).doesNotExist();
  }

  @Test
  void theRecorderKeepsTheLastJsonLineAsTheGeneratorReadsIt(@TempDir Path dir) throws Exception {
    Path recorder = recorderIn(dir);

    int status =
        record(
            recorder,
            "smoke",
            "--note",
            "busy machine",
            "--",
            "RATE=200.0",
            "sh",
            "-c",
            "echo '{\"early\": 1}'; echo \"{\\\"scenario\\\": \\\"smoke\\\", \\\"rate\\\": $RATE,"
                + " \\\"big\\\": 1.0E7}\"; echo done");

    assertThat(status).isZero();
    List<Run> runs = BenchmarksReport.read(dir.resolve("docs/benchmarks/runs"));
    assertThat(runs).hasSize(1);
    Run run = runs.get(0);
    assertThat(run.file()).matches("\\d{4}-\\d{2}-\\d{2}-smoke\\.json");
    assertThat(run.command()).startsWith("RATE=200.0 sh -c ");
    assertThat(run.note()).isEqualTo("busy machine");
    assertThat(run.machine()).containsKeys("cores", "java");
    assertThat(run.kind()).isEqualTo("smoke");
    assertThat(BenchmarksReport.table(run.output()).rows())
        .containsExactly(List.of("`rate`", "200.0"), List.of("`big`", "1.0E7"));
  }

  private static Run run(String file, String date, String command, String output) {
    return new Run(
        file, command, date, Map.of("cores", new Json.Num("2")), null, Json.parse(output));
  }

  /** A copy of the recorder in a tree of its own: it writes its records beside itself. */
  private static Path recorderIn(Path dir) throws Exception {
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python), "Debian's /usr/bin/python3 runs the recorder");
    Path recorder = Files.createDirectories(dir.resolve("docs/benchmarks")).resolve("record");
    Files.copy(ROOT.resolve("docs/benchmarks/record"), recorder);
    return recorder;
  }

  /** Runs the recorder with --no-page (no generator in the copy's tree); its exit status. */
  private static int record(Path recorder, String name, String... rest) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("/usr/bin/python3", recorder.toString(), name, "--no-page"));
    List<String> more = List.of(rest);
    if (!more.contains("--")) {
      command.add("--");
    }
    command.addAll(more);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
    return process.exitValue();
  }
}
