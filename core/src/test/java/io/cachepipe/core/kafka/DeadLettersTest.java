package io.cachepipe.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

  @Test
  void aDescriptionThatFitsIsKeptWhole() {
    assertThat(
            new String(DeadLetters.description("SourceRecord{id=1}", 100), StandardCharsets.UTF_8))
        .isEqualTo("SourceRecord{id=1}");
  }

  @Test
  void aDescriptionOfAnyLengthIsCutToTheLimitAtACharactersEndAndSaysSo() {
    // Three-byte characters after one ASCII one: most cut points fall inside a character.
    String huge = "x" + "\u20ac".repeat(1_000_000);
    int whole = huge.getBytes(StandardCharsets.UTF_8).length;

    byte[] cut = DeadLetters.description(huge, 1000);

    assertThat(cut.length).isLessThanOrEqualTo(1000).isGreaterThan(950);
    String text = new String(cut, StandardCharsets.UTF_8);
    assertThat(text.getBytes(StandardCharsets.UTF_8)).as("valid UTF-8").isEqualTo(cut);
    assertThat(text).startsWith("x\u20ac\u20ac").endsWith("… (" + whole + " bytes in all)");
  }
}
