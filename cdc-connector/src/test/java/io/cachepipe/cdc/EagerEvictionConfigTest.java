package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EagerEvictionConfigTest {

  private static final String REDIS = "cachepipe.redis.uri";

  @Test
  void onByDefaultWhereARedisIsConfigured() {
    EagerEvictionConfig config =
        EagerEvictionConfig.from(Settings.of(Map.of(REDIS, "redis://127.0.0.1:7000")));
    assertThat(config.enabled()).isTrue();
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void offWithoutARedisConfigured() {
    assertThat(EagerEvictionConfig.from(Settings.empty()).enabled()).isFalse();
  }

  @Test
  void offByItsKey() {
    Settings settings =
        Settings.of(
            Map.of(REDIS, "redis://127.0.0.1:7000", "cachepipe.cdc.eager.eviction", "false"));
    assertThat(EagerEvictionConfig.from(settings).enabled()).isFalse();
  }

  @Test
  void aBadValueNamesTheKeyAndWhatItExpected() {
    Settings settings =
        Settings.of(Map.of(REDIS, "redis://127.0.0.1:7000", "cachepipe.cdc.eager.eviction", "yes"));
    assertThatThrownBy(() -> EagerEvictionConfig.from(settings))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.cdc.eager.eviction")
        .hasMessageContaining("true or false");
  }
}
