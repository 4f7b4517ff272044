package io.cachepipe.invalidator;

import io.cachepipe.core.kafka.DeadLetters;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the invalidator's Kafka Streams does with a record it cannot process, deserialize or
 * serialize: it sends the record's original bytes to the dead-letter topic, the reason and where it
 * was read in the headers, and goes on with the next record. No record can stop the stream thread
 * or make a restart replay it forever.
 *
 * <p>Failures of a send itself are different: a record too large (or otherwise refused for good) is
 * dead-lettered too, but anything else (the broker away, a timeout) is not the record's fault and
 * fails the thread as before, so that the sidecar's health and restart policy deal with it.
 */
public final class DeadLetteringHandler
    implements ProcessingExceptionHandler,
        DeserializationExceptionHandler,
        ProductionExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetteringHandler.class);

  /** Config key (in the Streams properties) of the dead-letter topic. */
  static final String TOPIC = "cachepipe.invalidator.dead.letter.topic";

  /** Config key (in the Streams properties) of the {@link InvalidatorMetrics} to count in. */
  static final String METRICS = "cachepipe.invalidator.metrics";

  private static final String STAGE = "invalidator";

  private String topic;
  private InvalidatorMetrics metrics;

  /** The Streams properties that route every per-record failure to this handler. */
  static Map<String, Object> properties(String deadLetterTopic, InvalidatorMetrics metrics) {
    Map<String, Object> p = new HashMap<>();
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetteringHandler.class);
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetteringHandler.class);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetteringHandler.class);
    p.put(TOPIC, deadLetterTopic);
    p.put(METRICS, metrics);
    return p;
  }

  @Override
  public void configure(Map<String, ?> configs) {
    Object configured = configs.get(TOPIC);
    if (configured == null) {
      throw new InvalidConfigurationException(TOPIC + ": required, expected a topic name");
    }
    this.topic = configured.toString();
    this.metrics =
        configs.get(METRICS) instanceof InvalidatorMetrics m ? m : new InvalidatorMetrics();
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    return ProcessingExceptionHandler.Response.resume(deadLetter(context, exception));
  }

  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    return DeserializationExceptionHandler.Response.resume(deadLetter(context, exception));
  }

  @Override
  public ProductionExceptionHandler.Response handleSerializationError(
      ErrorHandlerContext context,
      ProducerRecord record,
      Exception exception,
      SerializationExceptionOrigin origin) {
    return ProductionExceptionHandler.Response.resume(deadLetter(context, exception));
  }

  @Override
  public ProductionExceptionHandler.Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (exception instanceof RecordTooLargeException) {
      return ProductionExceptionHandler.Response.resume(deadLetter(context, exception));
    }
    return ProductionExceptionHandler.Response.fail();
  }

  private List<ProducerRecord<byte[], byte[]>> deadLetter(
      ErrorHandlerContext context, Exception exception) {
    String source = context.topic() + "/" + context.partition() + "@" + context.offset();
    String reason = reason(context, exception);
    LOG.warn("dead-lettering the record at {}: {}", source, reason);
    metrics.deadLettered.increment();
    return List.of(
        DeadLetters.record(
            topic, context.sourceRawKey(), context.sourceRawValue(), STAGE, reason, source));
  }

  /** The exception's message, with the node that threw it: what a reader needs to fix the cause. */
  private static String reason(ErrorHandlerContext context, Exception exception) {
    Throwable cause = exception;
    while (cause.getCause() != null && cause.getMessage() == null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return "at "
        + Objects.requireNonNullElse(context.processorNodeId(), "unknown")
        + ": "
        + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName());
  }
}
