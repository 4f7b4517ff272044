package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is what the code says: regenerated, never edited by hand. */
class ConfigurationDocTest {

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void docsConfigurationIsUpToDate() throws Exception {
    String expected = CliRun.of(Main.commandLine(), "config", "--describe", "--markdown").out();

    assertThat(DOC).as("docs/configuration.md exists").exists();
    assertThat(Files.readString(DOC))
        .as("docs/configuration.md is stale; regenerate it: " + ConfigurationDoc.REGENERATE)
        .isEqualTo(expected);
  }

  @Test
  void everyKeyIsInTheTable() {
    String markdown = ConfigurationDoc.markdown(SidecarConfig.allFields());

    SidecarConfig.allFields()
        .forEach(f -> assertThat(markdown).contains("| `" + f.name() + "` | "));
  }
}
