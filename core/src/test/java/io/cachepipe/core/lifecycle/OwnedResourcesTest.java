package io.cachepipe.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnedResourcesTest {

  private final List<String> closed = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private final OwnedResources owned = new OwnedResources(e -> failures.add(e.getMessage()));

  @Test
  void closesNewestFirstAndEachDespiteAFailureBeforeIt() {
    owned.own(() -> closed.add("first"));
    owned.own(
        () -> {
          throw new IllegalStateException("second failed");
        });
    AutoCloseable third = () -> closed.add("third");
    assertThat(owned.own(third)).isSameAs(third);

    owned.close();

    assertThat(closed).containsExactly("third", "first");
    assertThat(failures).containsExactly("second failed");
  }

  @Test
  void closesEachResourceOnceEvenWhenClosedTwice() {
    owned.own(() -> closed.add("only"));

    owned.close();
    owned.close();

    assertThat(closed).containsExactly("only");
  }
}
