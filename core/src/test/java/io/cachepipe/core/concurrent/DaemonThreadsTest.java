package io.cachepipe.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {

  @Test
  void namedThreadsAreDaemonsThatAllCarryTheName() {
    DaemonThreads threads = DaemonThreads.named("cachepipe-test");

    Thread first = threads.newThread(() -> {});
    Thread second = threads.newThread(() -> {});

    assertThat(first.isDaemon()).isTrue();
    assertThat(first.getName()).isEqualTo("cachepipe-test");
    assertThat(second.getName()).isEqualTo("cachepipe-test");
  }

  @Test
  void numberedThreadsCountFromOne() {
    DaemonThreads threads = DaemonThreads.numbered("cachepipe-pool");

    assertThat(threads.newThread(() -> {}).getName()).isEqualTo("cachepipe-pool-1");
    Thread second = threads.newThread(() -> {});
    assertThat(second.getName()).isEqualTo("cachepipe-pool-2");
    assertThat(second.isDaemon()).isTrue();
  }

  @Test
  void startRunsTheTaskOnANamedDaemonThread() throws Exception {
    CompletableFuture<Thread> ranOn = new CompletableFuture<>();

    DaemonThreads.start("cachepipe-once", () -> ranOn.complete(Thread.currentThread()));

    Thread thread = ranOn.get(10, TimeUnit.SECONDS);
    assertThat(thread.getName()).isEqualTo("cachepipe-once");
    assertThat(thread.isDaemon()).isTrue();
  }
}
