package io.cachepipe.examples.purgelist;

import io.cachepipe.consumer.InvalidationsConsumer;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link PurgeList} against a cachepipe deployment and prints each second's purges, where a
 * real purger would call the CDN's purge API.
 *
 * <pre>
 * java -cp ... io.cachepipe.examples.purgelist.PurgeListApp kafka:9092 [group] [topic]
 * </pre>
 */
public final class PurgeListApp {

  private PurgeListApp() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 1) {
      System.err.println("usage: PurgeListApp BOOTSTRAP_SERVERS [GROUP] [TOPIC]");
      System.exit(2);
    }
    PurgeList list = new PurgeList(Map.of("user", "/users/{id}", "post", "/posts/{id}"));
    InvalidationsConsumer.Builder builder =
        InvalidationsConsumer.builder()
            .bootstrapServers(args[0])
            .groupId(args.length > 1 ? args[1] : "purge-list")
            .listener(list);
    if (args.length > 2) {
      builder.topic(args[2]);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    ScheduledExecutorService purger = Executors.newSingleThreadScheduledExecutor();
    try (InvalidationsConsumer consumer = builder.onFailure(e -> stopped.countDown()).start()) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      purger.scheduleWithFixedDelay(
          () -> list.drain().forEach(p -> System.out.println("PURGE " + p.page())),
          1,
          1,
          TimeUnit.SECONDS);
      stopped.await();
    } finally {
      purger.shutdownNow();
    }
  }
}
