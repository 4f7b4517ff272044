package io.cachepipe.sidecar.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * How log lines are written to stderr: {@code text} (logback.xml's pattern) or {@code json}, one
 * JSON object per line (Logback's own {@link JsonEncoder}: timestamp, level, threadName,
 * loggerName, mdc, kvpList, formattedMessage, throwable). Both mask credentials.
 */
public enum LogFormat {
  TEXT,
  JSON;

  /** Name of the console appender in logback.xml. */
  static final String APPENDER = "STDERR";

  private static LogFormat current = TEXT;
  private static Encoder<ILoggingEvent> textEncoder;

  /** Makes the console appender write this format from now on; nothing if it already does. */
  public void apply() {
    synchronized (LogFormat.class) {
      if (current == this
          || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
        return;
      }
      Appender<ILoggingEvent> appender =
          context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
      if (!(appender instanceof OutputStreamAppender<ILoggingEvent> console)) {
        return;
      }
      Encoder<ILoggingEvent> encoder;
      if (this == JSON) {
        textEncoder = console.getEncoder();
        encoder = new CredentialMaskingEncoder(jsonEncoder());
      } else {
        encoder = textEncoder;
      }
      encoder.setContext(context);
      encoder.start();
      console.stop();
      console.setEncoder(encoder);
      console.start();
      current = this;
    }
  }

  private static JsonEncoder jsonEncoder() {
    JsonEncoder json = new JsonEncoder();
    json.setWithSequenceNumber(false);
    json.setWithNanoseconds(false);
    json.setWithContext(false);
    json.setWithMarkers(false);
    json.setWithMessage(false);
    json.setWithArguments(false);
    json.setWithFormattedMessage(true);
    return json;
  }
}
