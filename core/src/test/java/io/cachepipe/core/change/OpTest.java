package io.cachepipe.core.change;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OpTest {

  @Test
  void debeziumLettersMapToOps() {
    assertThat(Op.fromWire("c")).isEqualTo(Op.INSERT);
    assertThat(Op.fromWire("u")).isEqualTo(Op.UPDATE);
    assertThat(Op.fromWire("d")).isEqualTo(Op.DELETE);
    assertThat(Op.fromWire("r")).isEqualTo(Op.SNAPSHOT);
  }

  @Test
  void wireNamesMapToOps() {
    assertThat(Op.fromWire("insert")).isEqualTo(Op.INSERT);
    assertThat(Op.fromWire("update")).isEqualTo(Op.UPDATE);
    assertThat(Op.fromWire("delete")).isEqualTo(Op.DELETE);
    assertThat(Op.fromWire("snapshot")).isEqualTo(Op.SNAPSHOT);
  }

  @Test
  void everyOpReadsBackFromItsWireName() {
    for (Op op : Op.values()) {
      assertThat(Op.fromWire(op.wireName())).isEqualTo(op);
    }
  }

  @Test
  void unknownNameIsRejectedWithTheName() {
    assertThatThrownBy(() -> Op.fromWire("truncate"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncate");
  }
}
