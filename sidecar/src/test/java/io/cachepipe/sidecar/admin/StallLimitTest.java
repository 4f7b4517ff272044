package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StallLimitTest {

  @Test
  void aStallLimitNotAboveTheHeartbeatIntervalIsRefusedNamingBothKeys() {
    Settings settings =
        Settings.of(
            Map.of(
                "cachepipe.admin.stall.ms", "5000",
                "cachepipe.cdc.heartbeat.interval.ms", "10000"));

    assertThatThrownBy(() -> AdminConfig.from(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.admin.stall.ms")
        .hasMessageContaining("cachepipe.cdc.heartbeat.interval.ms (10000)")
        .hasMessageContaining("'5000'");
  }

  @Test
  void withHeartbeatsOffAnyStallLimitGoes() {
    Settings settings =
        Settings.of(
            Map.of("cachepipe.admin.stall.ms", "5000", "cachepipe.cdc.heartbeat.interval.ms", "0"));

    assertThat(AdminConfig.from(settings).port()).isEqualTo(9400);
  }
}
