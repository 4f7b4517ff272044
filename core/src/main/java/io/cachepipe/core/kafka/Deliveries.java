package io.cachepipe.core.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Records a stage sends before it may commit the offsets that produced them (eviction reports, dead
 * letters): each is sent again until Kafka acknowledged it, so none is dropped while the offsets
 * move on. {@link #awaitAll} waits a bounded while, so that the caller can keep its consumer
 * polling meanwhile. Not thread-safe: the consumer's thread uses it.
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
public final class Deliveries<K, V> {

  private final Producer<K, V> producer;
  private final List<Delivery> pending = new ArrayList<>();
  private String lastFailure;

  public Deliveries(Producer<K, V> producer) {
    this.producer = producer;
  }

  /** Sends {@code record}; {@code acknowledged} is told its metadata once Kafka has it. */
  public void send(ProducerRecord<K, V> record, Consumer<RecordMetadata> acknowledged) {
    Delivery delivery = new Delivery(record, acknowledged);
    delivery.send();
    pending.add(delivery);
  }

  /** Sends {@code record}. */
  public void send(ProducerRecord<K, V> record) {
    send(record, metadata -> {});
  }

  /**
   * Waits at most about {@code budget} for Kafka to acknowledge every record sent; each that failed
   * is sent again.
   *
   * @return whether all are acknowledged (then none is left to wait for)
   */
  public boolean awaitAll(Duration budget) {
    long deadline = System.nanoTime() + budget.toNanos();
    boolean failed = false;
    for (Iterator<Delivery> it = pending.iterator(); it.hasNext(); ) {
      Delivery delivery = it.next();
      try {
        RecordMetadata metadata =
            delivery.future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        it.remove();
        delivery.acknowledged.accept(metadata);
      } catch (ExecutionException e) {
        failed = true;
        lastFailure = delivery.record.topic() + ": " + reason(e.getCause());
        delivery.send();
      } catch (TimeoutException e) {
        lastFailure = delivery.record.topic() + ": not acknowledged yet";
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Kafka", e);
      }
    }
    return !failed && pending.isEmpty();
  }

  /** Why the last record that failed did, or null. */
  public String lastFailure() {
    return lastFailure;
  }

  private static String reason(Throwable t) {
    if (t == null) {
      return "unknown";
    }
    return t.getMessage() == null
        ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private final class Delivery {
    final ProducerRecord<K, V> record;
    final Consumer<RecordMetadata> acknowledged;
    Future<RecordMetadata> future;

    Delivery(ProducerRecord<K, V> record, Consumer<RecordMetadata> acknowledged) {
      this.record = record;
      this.acknowledged = acknowledged;
    }

    void send() {
      try {
        future = producer.send(record);
      } catch (RuntimeException e) {
        // Refused before it left (metadata unavailable, buffer full): tried again like a failure.
        future = CompletableFuture.failedFuture(e);
      }
    }
  }
}
