package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.redis.CacheKeys;
import org.junit.jupiter.api.Test;

class CacheFlushTest {

  @Test
  void theTagOfARegistryIsWhatItWasMadeFrom() {
    for (String tag : new String[] {"user:42", "post:7", "a}b{c", ""}) {
      assertThat(CacheFlush.tagOf(CacheKeys.tagRegistry(tag))).isEqualTo(tag);
    }
  }
}
