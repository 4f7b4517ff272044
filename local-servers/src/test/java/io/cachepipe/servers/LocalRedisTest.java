package io.cachepipe.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRedisTest {

  @Test
  void aMissingBinaryIsExplainedWithTheVariableAndTheInstallCommand(@TempDir Path empty) {
    assertThatThrownBy(() -> LocalRedis.findBinary(Map.of("PATH", empty.toString())))
        .isInstanceOf(LocalServerException.class)
        .hasMessageContaining("redis-server not found")
        .hasMessageContaining(LocalRedis.BINARY_ENV)
        .hasMessageContaining("apt-get install redis-server");
  }

  @Test
  void theEnvironmentVariableWinsOverThePath(@TempDir Path dir) throws Exception {
    Path onPath = Files.createDirectory(dir.resolve("bin")).resolve("redis-server");
    Path configured = dir.resolve("my-redis");
    for (Path binary : new Path[] {onPath, configured}) {
      Files.writeString(binary, "#!/bin/sh\n");
      assertThat(binary.toFile().setExecutable(true)).isTrue();
    }

    assertThat(LocalRedis.findBinary(Map.of("PATH", onPath.getParent().toString())))
        .isEqualTo(onPath);
    Map<String, String> both =
        Map.of("PATH", onPath.getParent().toString(), LocalRedis.BINARY_ENV, configured.toString());
    assertThat(LocalRedis.findBinary(both)).isEqualTo(configured);
  }

  @Test
  void aConfiguredPathThatIsNotExecutableIsRefused(@TempDir Path dir) {
    String missing = dir.resolve("nope").toString();
    assertThatThrownBy(() -> LocalRedis.findBinary(Map.of(LocalRedis.BINARY_ENV, missing)))
        .isInstanceOf(LocalServerException.class)
        .hasMessageContaining(missing);
  }
}
