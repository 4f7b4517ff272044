package io.cachepipe.redis;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.List;
import java.util.function.Function;

/**
 * A connection and its synchronous commands: those of a Redis server, or of a Redis Cluster (where
 * SCAN walks every master and multi-key commands are split by slot). From {@link
 * RedisConnector#connect()}.
 *
 * @param connection the connection, closed by {@link #close()}
 * @param commands its synchronous commands
 */
public record RedisSession(
    StatefulConnection<String, String> connection, RedisClusterCommands<String, String> commands)
    implements AutoCloseable {

  /** Whether this is a connection to a Redis Cluster. */
  public boolean isCluster() {
    return connection instanceof StatefulRedisClusterConnection;
  }

  /** The connection's asynchronous commands: a cluster's route each command by its key's slot. */
  public RedisClusterAsyncCommands<String, String> async() {
    if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
      return cluster.async();
    }
    return ((StatefulRedisConnection<String, String>) connection).async();
  }

  /** The {@code PING} reply of the server, or of every master of a cluster. */
  public List<String> pingAll() {
    return upstream(RedisClusterCommands::ping);
  }

  /** {@code INFO section} of the server, or of every master of a cluster. */
  public List<String> infoAll(String section) {
    return upstream(c -> c.info(section));
  }

  private List<String> upstream(Function<RedisClusterCommands<String, String>, String> command) {
    if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
      return cluster.sync().upstream().asMap().values().stream().map(command).toList();
    }
    return List.of(command.apply(commands));
  }

  @Override
  public void close() {
    connection.close();
  }
}
