package io.cachepipe.testing;

/**
 * A Kafka cluster of one combined KRaft node (replication factors 1), shared by the tests of one
 * JVM. Tests keep apart by naming their topics with {@link #uniqueTopicPrefix(String)}.
 */
public final class KafkaFixture implements AutoCloseable {

  private final String bootstrapServers;
  private final AutoCloseable cluster;

  KafkaFixture(String bootstrapServers, AutoCloseable cluster) {
    this.bootstrapServers = bootstrapServers;
    this.cluster = cluster;
  }

  /** The {@code bootstrap.servers} value for clients. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * A prefix no other test of this JVM gets, such as {@code invalidator-7-k2j9}: pass it as
   * Debezium's {@code topic.prefix} or put it in front of topic names. It has no trailing
   * separator.
   */
  public String uniqueTopicPrefix(String name) {
    return UniqueNames.topicPrefix(name);
  }

  /** Stops the cluster. {@link TestServers} does this when the JVM exits. */
  @Override
  public void close() throws Exception {
    cluster.close();
  }

  @Override
  public String toString() {
    return "KafkaFixture[" + bootstrapServers + "]";
  }
}
