package io.cachepipe.servers;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A throwaway Redis Cluster of three masters (no replicas), each a {@link LocalRedis} child process
 * with {@code --cluster-enabled yes} on free ports of 127.0.0.1, persistence off. The slots are
 * split as {@code redis-cli --cluster create} would: 0-5460, 5461-10922, 10923-16383. Built with
 * plain commands ({@code CLUSTER ADDSLOTSRANGE}, {@code CLUSTER MEET}), so it needs no {@code
 * redis-cli}; {@link #start()} returns once every node reports {@code cluster_state:ok}.
 */
public final class LocalRedisCluster implements AutoCloseable {

  /** The first slot of each master, and one past the last slot of the cluster. */
  private static final int[] SLOT_BOUNDS = {0, 5461, 10923, 16384};

  private static final String HOST = "127.0.0.1";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

  private final List<LocalRedis> masters;
  private final List<Integer> busPorts;

  private LocalRedisCluster(List<LocalRedis> masters, List<Integer> busPorts) {
    this.masters = masters;
    this.busPorts = busPorts;
  }

  /**
   * Starts three masters, assigns the slots, joins them and waits until the cluster is ok.
   *
   * @throws LocalServerException if a server does not start or the cluster does not form in 30 s
   */
  public static LocalRedisCluster start() {
    List<LocalRedis> masters = new ArrayList<>();
    List<Integer> busPorts = new ArrayList<>();
    LocalRedisCluster cluster = new LocalRedisCluster(masters, busPorts);
    try {
      for (int i = 0; i < SLOT_BOUNDS.length - 1; i++) {
        int busPort = FreePort.pick();
        busPorts.add(busPort);
        masters.add(
            LocalRedis.builder()
                .arguments(
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-port",
                    Integer.toString(busPort))
                .start());
      }
      cluster.form();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void form() {
    try {
      for (int i = 0; i < masters.size(); i++) {
        call(
            i,
            "CLUSTER",
            "ADDSLOTSRANGE",
            Integer.toString(SLOT_BOUNDS[i]),
            Integer.toString(SLOT_BOUNDS[i + 1] - 1));
      }
      for (int i = 1; i < masters.size(); i++) {
        call(
            0,
            "CLUSTER",
            "MEET",
            HOST,
            Integer.toString(masters.get(i).port()),
            Integer.toString(busPorts.get(i)));
      }
    } catch (IOException e) {
      throw new LocalServerException("cannot form a Redis Cluster of " + this, e);
    }
    for (int i = 0; i < masters.size(); i++) {
      int node = i;
      Readiness.await(
          masters.get(i).child(),
          TIMEOUT,
          () -> call(node, "CLUSTER", "INFO").contains("cluster_state:ok"),
          () -> masters.get(node).child().outputTail(40));
    }
  }

  private String call(int node, String... command) throws IOException {
    try (RespConnection connection =
        RespConnection.open(HOST, masters.get(node).port(), PROBE_TIMEOUT)) {
      return connection.call(command);
    }
  }

  /** The masters, in slot order: the first serves slots 0-5460. */
  public List<LocalRedis> masters() {
    return List.copyOf(masters);
  }

  /** {@code redis://127.0.0.1:PORT} of every master: seed nodes for a cluster client. */
  public List<String> uris() {
    return masters.stream().map(LocalRedis::uri).toList();
  }

  /** Stops every master. Idempotent. */
  @Override
  public void close() {
    masters.forEach(LocalRedis::close);
  }

  @Override
  public String toString() {
    return "LocalRedisCluster"
        + masters.stream().map(LocalRedis::uri).collect(Collectors.joining(", ", "[", "]"));
  }
}
