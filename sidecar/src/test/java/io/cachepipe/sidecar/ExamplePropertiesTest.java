package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped example configuration documents every key, with its real default, and is valid. */
class ExamplePropertiesTest {

  private static final Path EXAMPLE = Path.of("..", "cachepipe.example.properties");

  @Test
  void everyKeyIsDocumentedWithADescriptionLineAbove() throws Exception {
    List<String> lines = Files.readAllLines(EXAMPLE);
    for (ConfigField<?> field : SidecarConfig.allFields()) {
      int at = indexOfKey(lines, field.name());
      assertThat(at).as("%s is in the example file", field.name()).isGreaterThan(0);
      assertThat(lines.get(at - 1)).as("%s has a comment above it", field.name()).startsWith("#");
    }
  }

  @Test
  void uncommentedValuesAreTheDefaults() throws Exception {
    Settings example = Settings.load(EXAMPLE, Map.of(), Map.of());
    for (ConfigField<?> field : SidecarConfig.allFields()) {
      if (example.contains(field.name())) {
        assertThat(example.raw(field.name()))
            .as("documented default of %s", field.name())
            .isEqualTo(field.defaultValue());
      }
    }
  }

  @Test
  void exampleFileIsValidAndRunsEveryStage() {
    Settings example = Settings.load(EXAMPLE, Map.of(), Map.of());
    assertThat(SidecarConfig.validate(example)).containsExactlyInAnyOrder(Stage.values());
  }

  @Test
  void misspelledKeyIsRejectedNamingTheClosestKey() {
    Settings settings = Settings.of(Map.of("cachepipe.cdc.poll.intervall.ms", "5"));
    assertThatThrownBy(() -> SidecarConfig.validate(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.cdc.poll.intervall.ms")
        .hasMessageContaining("did you mean cachepipe.cdc.poll.interval.ms");
  }

  @Test
  void badValueIsRejectedNamingTheKeyAndWhatItExpected() {
    Settings settings = Settings.of(Map.of("cachepipe.topic.partitions", "many"));
    assertThatThrownBy(() -> SidecarConfig.validate(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessage("cachepipe.topic.partitions: expected an integer from 1 to 10000, got 'many'");
  }

  @Test
  void unknownStageIsRejected() {
    Settings settings = Settings.of(Map.of("cachepipe.stages", "cdc,evictor"));
    assertThatThrownBy(() -> SidecarConfig.validate(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.stages")
        .hasMessageContaining("evictor");
  }

  private static int indexOfKey(List<String> lines, String key) {
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).startsWith("#") ? lines.get(i).substring(1) : lines.get(i);
      if (line.startsWith(key + "=")) {
        return i;
      }
    }
    return -1;
  }
}
