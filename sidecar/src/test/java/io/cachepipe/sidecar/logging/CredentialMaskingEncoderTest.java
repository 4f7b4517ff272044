package io.cachepipe.sidecar.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The shipped logback.xml masks credentials that a library's message quotes. */
class CredentialMaskingEncoderTest {

  @Test
  void theShippedConfigurationMasksUrlPasswordsInMessagesAndStackTraces() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(getClass().getResource("/logback.xml"));
      Logger log = context.getLogger("io.cachepipe.test");
      log.warn(
          "No suitable driver found for jdbc:postgresql://db/shop?user=app&password=S3cr3t-pg-XYZ");
      log.error(
          "failed", new IllegalStateException("cannot connect to redis://:S3cr3t-redis-XYZ@r:1"));
    } finally {
      System.setErr(original);
      context.stop();
    }

    String written = captured.toString(StandardCharsets.UTF_8);
    assertThat(written)
        .contains("jdbc:postgresql://db/shop?user=app&password=********")
        .contains("redis://:********@r:1")
        .contains("at io.cachepipe.sidecar.logging.CredentialMaskingEncoderTest")
        .doesNotContain("S3cr3t");
  }
}
