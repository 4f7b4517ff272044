package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.cluster.SlotHash;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvictionArgumentsTest {

  @Test
  void aTagsEvictionKeysAreItsRegistryVersionPositionAndDrainsInOneSlot() {
    String token = EvictionArguments.token();
    String[] keys = EvictionArguments.evictKeys("user:42", token);

    assertThat(keys)
        .containsExactly(
            CacheKeys.tagRegistry("user:42"),
            CacheKeys.tagVersion("user:42"),
            CacheKeys.tagPosition("user:42"),
            CacheKeys.tagDrains("user:42"),
            CacheKeys.tagDrain("user:42", token));
    assertThat(Arrays.stream(keys).map(SlotHash::getSlot).distinct()).hasSize(1);
    assertThat(
            Arrays.stream(EvictionArguments.chunkKeys("}x", CacheKeys.tagDrain("}x", "ab")))
                .map(SlotHash::getSlot))
        .containsOnly(SlotHash.getSlot(CacheKeys.tagRegistry("}x")));
  }

  @Test
  void eachEvictionHasATokenOfItsOwn() {
    assertThat(EvictionArguments.token()).hasSize(16).isNotEqualTo(EvictionArguments.token());
  }

  @Test
  void anEvictionsArgumentsCarryItsPositionOrNoneForAnUnconditionalOne() {
    assertThat(EvictionArguments.evictArgs("60000", 0x16_B374_D848L, true))
        .containsExactly(
            "60000",
            Long.toString(0x16_B374_D848L),
            Integer.toString(EvictionArguments.CHUNK),
            "1");
    assertThat(EvictionArguments.evictArgs("60000", TagEvictor.UNCONDITIONAL, false))
        .containsExactly("60000", "", Integer.toString(EvictionArguments.CHUNK), "0");
  }

  @Test
  void theWatermarksKeysShareOneSlotAndNameTheDrainSetsItWaitsFor() {
    String[] keys = EvictionArguments.watermarkKeys(List.of());

    assertThat(keys).containsExactly(CacheKeys.watermarkParts(), CacheKeys.watermark());
    assertThat(Arrays.stream(keys).map(SlotHash::getSlot).distinct()).hasSize(1);
    assertThat(EvictionArguments.watermarkKeys(List.of("user:1")))
        .containsExactly(
            CacheKeys.watermarkParts(), CacheKeys.watermark(), CacheKeys.tagDrains("user:1"));
  }

  @Test
  void theWatermarksArgumentsAreThePartCountThenEachPartAndItsPosition() {
    Map<String, Long> parts = new LinkedHashMap<>();
    parts.put("0/0", 500L);
    parts.put("1/0", 0x16_B374_D848L);

    assertThat(EvictionArguments.watermarkArgs(parts, 4))
        .containsExactly("4", "0/0", "500", "1/0", Long.toString(0x16_B374_D848L));
    assertThat(EvictionArguments.watermarkArgs(Map.of(), 2)).containsExactly("2");
  }
}
