package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.core.config.Settings;
import io.cachepipe.testing.PostgresFixture.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Each stage in a {@link Pipeline} of its own, all on the same settings (consumer groups, slot,
 * Streams application id and state directory), so that one can be stopped and started again on its
 * own while readers and writers go on, as when one process of a deployment is restarted; and the
 * seeded schedule of {@link ConsistencyRaceIT}'s restart run.
 */
final class StageRestarts implements AutoCloseable {

  static final Duration STAGE_START = Duration.ofSeconds(60);

  /**
   * Writes that go on while a stage is down, at most: then writers wait for it to be back, so that
   * every restart overlaps writes however long it takes on a loaded machine.
   */
  private static final int WRITES_WHILE_DOWN = 40;

  /** What the restart run does to the stages, each at a seeded point of the writes. */
  private enum Disruption {
    INVALIDATOR,
    WARMER,
    CDC,
    /** The cdc stage's replication connection killed in PostgreSQL; the stage keeps running. */
    CDC_CONNECTION_KILLED;

    static final List<Disruption> SCHEDULE =
        List.of(INVALIDATOR, INVALIDATOR, WARMER, WARMER, CDC, CDC_CONNECTION_KILLED);
  }

  private final Settings settings;
  private final Consumer<Throwable> onFailure;
  private final Map<Stage, Pipeline> running = new ConcurrentHashMap<>();
  private final AtomicLong warmedByStopped = new AtomicLong();
  final List<String> done = new ArrayList<>();

  StageRestarts(Settings settings, Consumer<Throwable> onFailure) {
    this.settings = settings;
    this.onFailure = onFailure;
  }

  /** Restarts the schedule holds. */
  static int scheduled() {
    return Disruption.SCHEDULE.size();
  }

  void start(Stage stage) throws Exception {
    Pipeline pipeline = Pipeline.start(settings, EnumSet.of(stage), onFailure);
    running.put(stage, pipeline);
    if (stage == Stage.CDC) {
      pipeline.capture().awaitStarted(STAGE_START);
    }
    pipeline.awaitReady(STAGE_START);
  }

  /** Closes the stage's pipeline gracefully, then starts it again and waits until it is ready. */
  void restart(Stage stage) throws Exception {
    Pipeline pipeline = running.remove(stage);
    if (pipeline.warmer() != null) {
      warmedByStopped.addAndGet(pipeline.warmer().stats().warmed());
    }
    pipeline.close();
    start(stage);
  }

  ChangeCapture capture() {
    return running.get(Stage.CDC).capture();
  }

  /** Entries filled by every warmer so far. */
  long warmed() {
    Pipeline warmer = running.get(Stage.WARMER);
    return warmedByStopped.get() + (warmer == null ? 0 : warmer.warmer().stats().warmed());
  }

  /**
   * Disrupts the stages at seeded points between 5 % and 80 % of the writes, in a seeded order,
   * while readers and writers go on: the invalidator and the warmer are restarted twice each, the
   * cdc stage once, and once the cdc stage's replication connection is killed. Writers make at most
   * {@link #WRITES_WHILE_DOWN} writes while a stage is down, then wait for it.
   */
  void restartAtSeededPoints(long seed, RaceWorkload race, Database db) throws Exception {
    SplittableRandom random = new SplittableRandom(seed * 43);
    List<Disruption> order = new ArrayList<>(Disruption.SCHEDULE);
    for (int i = order.size() - 1; i > 0; i--) {
      order.set(i, order.set(random.nextInt(i + 1), order.get(i)));
    }
    int total = race.totalWrites();
    int[] points = random.ints(order.size(), total * 5 / 100, total * 80 / 100).sorted().toArray();
    String slot = CdcConfig.from(settings).slotName();
    for (int i = 0; i < order.size(); i++) {
      int point = points[i];
      Disruption disruption = order.get(i);
      await("write " + point)
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> race.writesDone.get() >= point);
      int at = race.writesDone.get();
      race.writeGate.set(at + WRITES_WHILE_DOWN);
      long started = System.nanoTime();
      try {
        if (disruption == Disruption.CDC_CONNECTION_KILLED) {
          killReplicationConnection(db, slot);
        } else {
          restart(Stage.valueOf(disruption.name()));
        }
      } finally {
        race.writeGate.set(Integer.MAX_VALUE);
      }
      String line =
          String.format(
              "%s at write %d: back after %d ms, %d writes meanwhile",
              disruption,
              at,
              Duration.ofNanos(System.nanoTime() - started).toMillis(),
              race.writesDone.get() - at);
      System.out.println("race: " + line);
      done.add(line);
    }
  }

  /**
   * Terminates the walsender of the slot, then waits until Debezium has reconnected to it (the slot
   * is active again, under another backend).
   */
  private static void killReplicationConnection(Database db, String slot) throws Exception {
    Integer pid = activeSlotPid(db, slot);
    assertThat(pid).as("the slot %s is in use by the cdc stage", slot).isNotNull();
    try (Connection c = RaceWorkload.connect(db);
        PreparedStatement st = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      st.setInt(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("walsender %d terminated", pid).isTrue();
      }
    }
    await("the cdc stage to reconnect to the slot " + slot)
        .atMost(STAGE_START)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              Integer now = activeSlotPid(db, slot);
              return now != null && !now.equals(pid);
            });
  }

  /** The backend streaming from {@code slot}, or null while none does. */
  private static Integer activeSlotPid(Database db, String slot) throws SQLException {
    try (Connection c = RaceWorkload.connect(db);
        PreparedStatement st =
            c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? (Integer) rs.getObject(1) : null;
      }
    }
  }

  /** Stops the stages upstream first. */
  @Override
  public void close() {
    for (Stage stage : List.of(Stage.CDC, Stage.INVALIDATOR, Stage.WARMER)) {
      Pipeline pipeline = running.remove(stage);
      if (pipeline != null) {
        pipeline.close();
      }
    }
  }
}
