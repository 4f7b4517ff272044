package io.cachepipe.sidecar.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import io.cachepipe.core.config.Secrets;
import java.nio.charset.StandardCharsets;

/**
 * Writes what another encoder writes, with credentials masked ({@link Secrets#maskCredentials}):
 * cachepipe's own messages never quote a secret, but the messages and stack traces of the JDBC
 * driver, Debezium, Kafka and Lettuce may quote a URL with its password.
 */
public final class CredentialMaskingEncoder extends EncoderBase<ILoggingEvent> {

  private Encoder<ILoggingEvent> encoder;

  public CredentialMaskingEncoder() {}

  /** An encoder masking what {@code encoder} writes. */
  public CredentialMaskingEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  /** The encoder whose output is masked (Logback's configuration sets it). */
  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  @Override
  public void start() {
    if (encoder == null) {
      addError("no encoder to mask the output of");
      return;
    }
    if (!encoder.isStarted()) {
      encoder.setContext(getContext());
      encoder.start();
    }
    super.start();
  }

  @Override
  public void stop() {
    super.stop();
    encoder.stop();
  }

  @Override
  public byte[] headerBytes() {
    return encoder.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    byte[] bytes = encoder.encode(event);
    if (bytes == null) {
      return null;
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    String masked = Secrets.maskCredentials(text);
    return masked.equals(text) ? bytes : masked.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return encoder.footerBytes();
  }
}
