package io.cachepipe.invalidator;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.json.MalformedMessageException;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A message of the changes topic as the topology's source reads it, decoded once: a change, a
 * watermark (told by its header), or bytes that are neither, kept for the dead-letter topic.
 */
sealed interface ChangesRecord {

  /**
   * Hands this message to the one of {@code change}, {@code watermark}, {@code unreadable} that
   * takes its type.
   */
  void handle(
      Consumer<ChangeEvent> change, Consumer<Watermark> watermark, Consumer<Unreadable> unreadable);

  record Change(ChangeEvent event) implements ChangesRecord {
    @Override
    public void handle(
        Consumer<ChangeEvent> change,
        Consumer<Watermark> watermark,
        Consumer<Unreadable> unreadable) {
      change.accept(event);
    }
  }

  record Mark(Watermark watermark) implements ChangesRecord {
    @Override
    public void handle(
        Consumer<ChangeEvent> change,
        Consumer<Watermark> watermark,
        Consumer<Unreadable> unreadable) {
      watermark.accept(this.watermark);
    }
  }

  /**
   * @param value the original bytes
   * @param reason why they could not be read
   */
  record Unreadable(byte[] value, String reason) implements ChangesRecord {
    @Override
    public void handle(
        Consumer<ChangeEvent> change,
        Consumer<Watermark> watermark,
        Consumer<Unreadable> unreadable) {
      unreadable.accept(this);
    }
  }

  /** Reads the changes topic's values; never throws, so no message can stop the stream thread. */
  final class Reader implements Deserializer<ChangesRecord> {

    @Override
    public ChangesRecord deserialize(String topic, byte[] value) {
      return deserialize(topic, null, value);
    }

    @Override
    public ChangesRecord deserialize(String topic, Headers headers, byte[] value) {
      try {
        return Watermark.isWatermark(headers)
            ? new Mark(Watermark.CONTRACT.decode(value))
            : new Change(ChangeEvent.CONTRACT.decode(value));
      } catch (MalformedMessageException e) {
        return new Unreadable(value, e.getMessage());
      } catch (RuntimeException e) {
        return new Unreadable(value, e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }
}
