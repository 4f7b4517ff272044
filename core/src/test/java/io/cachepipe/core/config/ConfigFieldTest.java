package io.cachepipe.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigFieldTest {

  @Test
  void absentValueTakesTheDefault() {
    ConfigField<Integer> field = ConfigField.integer("x.n", 4, 1, 10, "n");

    assertThat(field.parse(null)).isEqualTo(4);
    assertThat(field.defaultValue()).isEqualTo("4");
  }

  @Test
  void integerIsParsedWithinItsBoundsInclusive() {
    ConfigField<Integer> field = ConfigField.integer("x.n", 4, 1, 10, "n");

    assertThat(field.parse(" 1 ")).isEqualTo(1);
    assertThat(field.parse("10")).isEqualTo(10);
    assertThatThrownBy(() -> field.parse("11"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("x.n: expected an integer from 1 to 10, got '11'");
  }

  @Test
  void requiredMissingValueNamesTheKeyExpectationAndDescription() {
    ConfigField<String> field = ConfigField.string("cachepipe.warmer.query", null, "The SQL.");

    assertThatThrownBy(() -> Settings.empty().get(field))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.warmer.query")
        .hasMessageContaining("required")
        .hasMessageContaining("a text")
        .hasMessageContaining("The SQL.");
  }

  @Test
  void boolAcceptsTrueAndFalseInAnyCase() {
    ConfigField<Boolean> field = ConfigField.bool("x.on", false, "on");

    assertThat(field.parse("TRUE")).isTrue();
    assertThat(field.parse(" false ")).isFalse();
    assertThat(field.parse(null)).isFalse();
  }

  @Test
  void boolRejectsYesNamingTheKeyAndExpectation() {
    ConfigField<Boolean> field = ConfigField.bool("cachepipe.warmer.enabled", true, "on");

    assertThatThrownBy(() -> field.parse("yes"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("cachepipe.warmer.enabled: expected true or false, got 'yes'");
  }

  @Test
  void millisParsesADurationAndRejectsValuesBelowTheMinimum() {
    ConfigField<Duration> field = ConfigField.millis("x.delay.ms", 5, 1, "delay");

    assertThat(field.parse("250")).isEqualTo(Duration.ofMillis(250));
    assertThat(field.parse(null)).isEqualTo(Duration.ofMillis(5));
    assertThatThrownBy(() -> field.parse("0"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("x.delay.ms")
        .hasMessageContaining(">= 1");
    assertThatThrownBy(() -> field.parse("1s"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("x.delay.ms");
  }

  @Test
  void listSplitsOnCommasAndDropsEmptyItems() {
    ConfigField<List<String>> field = ConfigField.list("x.tables", "", "tables");

    assertThat(field.parse(" public.users, ,public.posts,"))
        .containsExactly("public.users", "public.posts");
    assertThat(field.parse(null)).isEmpty();
  }

  @Test
  void oneOfAcceptsAnAllowedValueAndNamesTheChoicesOtherwise() {
    ConfigField<String> field = ConfigField.oneOf("x.mode", "a", List.of("a", "b"), "mode");

    assertThat(field.parse(" b ")).isEqualTo("b");
    assertThatThrownBy(() -> field.parse("c"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("x.mode: expected one of a, b, got 'c'");
  }

  @Test
  void secretFieldIsMarkedSecretAndPlainFieldIsNot() {
    assertThat(ConfigField.secret("x.pw", "", "pw").isSecret()).isTrue();
    assertThat(ConfigField.string("x.name", "", "name").isSecret()).isFalse();
  }
}
