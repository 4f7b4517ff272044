package io.cachepipe.core.change;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeEventTest {

  @Test
  void recordKeyIsTheTableAndTheJsonOfThePrimaryKey() {
    ChangeEvent change =
        ChangeEvent.of(Op.INSERT, "public.posts", Map.of("id", 7), null, Map.of("id", 7), 1, 2, 3);

    assertThat(change.recordKey()).isEqualTo("public.posts:{\"id\":7}");
  }

  @Test
  void recordKeyOfACompositeKeyHoldsEveryKeyColumn() throws Exception {
    Map<String, Object> key = new LinkedHashMap<>();
    key.put("tenant", "acme");
    key.put("id", 7);
    ChangeEvent change = ChangeEvent.of(Op.UPDATE, "shop.orders", key, null, key, 1, 2, 3);

    String recordKey = change.recordKey();

    assertThat(recordKey).startsWith("shop.orders:");
    assertThat(Json.mapper().readTree(recordKey.substring("shop.orders:".length())))
        .isEqualTo(Json.mapper().readTree("{\"id\":7,\"tenant\":\"acme\"}"));
  }

  @Test
  void changesOfOneRowShareTheRecordKey() {
    ChangeEvent insert =
        ChangeEvent.of(Op.INSERT, "public.posts", Map.of("id", 7), null, Map.of("id", 7), 1, 2, 3);
    ChangeEvent delete =
        ChangeEvent.of(Op.DELETE, "public.posts", Map.of("id", 7), Map.of("id", 7), null, 4, 5, 6);

    assertThat(delete.recordKey()).isEqualTo(insert.recordKey());
  }

  @Test
  void missingKeyBecomesEmpty() {
    ChangeEvent change =
        ChangeEvent.of(Op.INSERT, "public.logs", null, null, Map.of("msg", "x"), 1, 2, 3);

    assertThat(change.key()).isEmpty();
    assertThat(change.recordKey()).isEqualTo("public.logs:{}");
  }

  @Test
  void changeNeedsAnOpATableAndAnImage() {
    assertThatThrownBy(
            () -> ChangeEvent.of(null, "public.posts", Map.of(), null, Map.of("id", 1), 1, 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'op'");
    assertThatThrownBy(
            () -> ChangeEvent.of(Op.INSERT, " ", Map.of(), null, Map.of("id", 1), 1, 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'table'");
    assertThatThrownBy(
            () -> ChangeEvent.of(Op.DELETE, "public.posts", Map.of(), null, null, 1, 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image");
  }
}
