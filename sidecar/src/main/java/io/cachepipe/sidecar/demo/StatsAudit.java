package io.cachepipe.sidecar.demo;

import io.cachepipe.core.json.Json;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares every cached user stats entry with what PostgreSQL says now. Run after the pipeline
 * drained: any difference is a stale entry, the one thing cachepipe exists to prevent. (It scans
 * the keyspace, which is fine for an audit and never done on the eviction path.)
 */
final class StatsAudit {

  private static final String PREFIX = "cp:user_stats:";

  /** The result: entries checked and the keys of stale ones. */
  record Result(int checked, List<String> staleKeys) {}

  private StatsAudit() {}

  static Result run(String redisUri, DemoDatabase db) throws Exception {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      int checked = 0;
      List<String> stale = new ArrayList<>();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page = redis.scan(cursor, ScanArgs.Builder.matches(PREFIX + "*").limit(500));
        for (String key : page.getKeys()) {
          String json = redis.get(key);
          if (json == null) {
            continue; // expired or evicted since the scan saw it
          }
          UserStats cached = Json.mapper().readValue(json, UserStats.class);
          UserStats actual = db.userStats(Long.parseLong(key.substring(PREFIX.length())));
          checked++;
          if (!cached.equals(actual)) {
            stale.add(key + " cached " + cached + " but database has " + actual);
          }
        }
        cursor = page;
      } while (!cursor.isFinished());
      return new Result(checked, stale);
    } finally {
      client.shutdown();
    }
  }

  /** Deletes every cachepipe key, so that a demo on an external Redis starts from nothing. */
  static void clear(String redisUri) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page = redis.scan(cursor, ScanArgs.Builder.matches("cp:*").limit(1000));
        if (!page.getKeys().isEmpty()) {
          redis.unlink(page.getKeys().toArray(String[]::new));
        }
        cursor = page;
      } while (!cursor.isFinished());
    } finally {
      client.shutdown();
    }
  }
}
