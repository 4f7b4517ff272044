package io.cachepipe.sidecar.fault;

import static org.awaitility.Awaitility.await;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.RespConnection;
import io.cachepipe.testing.HugeTag;
import io.cachepipe.testing.LatencyProbe;
import io.lettuce.core.KeyValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The fault suite's huge tag: an author of its own, not one the load writes, with a million cached
 * entries registered under its tag ({@code user:<id>}); one committed post of that author evicts
 * them all, in chunks, while a probe reader measures how long Redis keeps a GET waiting.
 */
final class MillionKeyTag {

  static final int ENTRIES = 1_000_000;

  private final FaultScenario scenario;
  private final long author;
  private final String prefix;

  MillionKeyTag(FaultScenario scenario, long author) {
    this.scenario = scenario;
    this.author = author;
    this.prefix = CacheKeys.entry("author_page", author + ":");
  }

  String tag() {
    return "user:" + author;
  }

  /** Creates the author, waits for its eviction, then registers the million entries. */
  void register() throws SQLException {
    scenario.sql("INSERT INTO users (id, name, email) VALUES (" + author + ", 'huge', 'huge@x')");
    await("the new author's own eviction")
        .atMost(Duration.ofSeconds(60))
        .until(() -> scenario.suite.evictions().evicted(tag()));
    var redis = scenario.suite.servers.redis;
    HugeTag.make(redis.host(), redis.port(), tag(), prefix, ENTRIES, "[1,2,3]");
  }

  /** A reader that GETs random entries of the tag, one at a time, on a connection of its own. */
  LatencyProbe probe() throws IOException {
    var server = scenario.suite.servers.redis;
    RespConnection redis = RespConnection.open(server.host(), server.port(), Duration.ofSeconds(5));
    SplittableRandom random = new SplittableRandom(8);
    return LatencyProbe.start(
        "million-key-probe",
        () -> {
          try {
            redis.call("GET", HugeTag.key(prefix, random.nextInt(ENTRIES)));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** Commits a post of the author: its eviction deletes the million entries. */
  List<String> write(long postId) throws SQLException {
    scenario.sql(
        "INSERT INTO posts (id, author_id, title) VALUES (" + postId + ", " + author + ", 'x')");
    return List.of(tag(), "post:" + postId);
  }

  /** How many of the million entries are still cached. */
  long left() {
    long left = 0;
    for (int from = 0; from < ENTRIES; from += 1_000) {
      String[] keys = new String[Math.min(1_000, ENTRIES - from)];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = HugeTag.key(prefix, from + i);
      }
      left += scenario.suite.redis.mget(keys).stream().filter(KeyValue::hasValue).count();
    }
    return left;
  }
}
