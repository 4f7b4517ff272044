package io.cachepipe.redis.evict;

import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Tests against the shared Redis server, emptied before each test: a client, a connection for the
 * test's own commands, and entries put in as fills put them.
 */
abstract class OnARedisServer {

  static RedisFixture server;
  static RedisClient client;
  static StatefulRedisConnection<String, String> connection;
  static RedisCommands<String, String> redis;
  static CacheEntries entries;

  @BeforeAll
  static void connect() {
    server = TestServers.redis();
    client = RedisClient.create(server.uri());
    connection = client.connect();
    redis = connection.sync();
    entries = new CacheEntries(redis);
  }

  @AfterAll
  static void disconnect() {
    connection.close();
    client.shutdown();
  }

  @BeforeEach
  void emptyRedis() {
    server.flushAll();
  }
}
