package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.Test;

/** The ceiling's search and its rule for "sustained", against made-up verdicts. */
class CeilingSearchTest {

  @Test
  void doublesThenBisectsToWithinTenPercentOfWhereProbesStartFailing() {
    List<Double> probed = new ArrayList<>();
    CeilingSearch search = run(new CeilingSearch(1000, 20), rate -> rate <= 5000, probed);

    assertThat(probed).startsWith(1000.0, 2000.0, 4000.0, 8000.0);
    double best = search.highestSustained().getAsDouble();
    double failed = search.lowestFailed().getAsDouble();
    assertThat(best).isLessThanOrEqualTo(5000).isLessThan(failed);
    assertThat(failed).isGreaterThan(5000).isLessThanOrEqualTo(best * 1.1);
  }

  @Test
  void halvesWhenTheStartRateFailsAndGivesUpBelowASixteenthOfIt() {
    List<Double> probed = new ArrayList<>();
    CeilingSearch search = run(new CeilingSearch(1000, 20), rate -> false, probed);

    assertThat(probed).containsExactly(1000.0, 500.0, 250.0, 125.0, 63.0);
    assertThat(search.highestSustained()).isEmpty();
  }

  @Test
  void neverProbesMoreThanItsLimit() {
    List<Double> probed = new ArrayList<>();
    CeilingSearch search = run(new CeilingSearch(100, 3), rate -> true, probed);

    assertThat(probed).containsExactly(100.0, 200.0, 400.0);
    assertThat(search.highestSustained()).hasValue(400.0);
    assertThat(search.lowestFailed()).isEmpty();
  }

  @Test
  void aStepIsSustainedOnlyWithTheRateTheP99AndASteadyLag() {
    List<Double> steady = List.of(40.0, 60.0, 45.0, 50.0, 55.0, 48.0, 70.0, 52.0, 47.0);
    assertThat(CeilingSearch.shortfalls(1000, 990, 200, steady, 1000)).isEmpty();

    assertThat(CeilingSearch.shortfalls(1000, 960, 200, steady, 1000))
        .singleElement()
        .asString()
        .contains("achieved 96.0%");
    assertThat(CeilingSearch.shortfalls(1000, 1000, 1000, steady, 1000))
        .singleElement()
        .asString()
        .contains("p99 1000 ms");
    List<Double> growing = List.of(40.0, 60.0, 80.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0);
    assertThat(CeilingSearch.shortfalls(1000, 1000, 200, growing, 1000))
        .singleElement()
        .asString()
        .contains("lag grew: p50 60 ms in the first third, 350 ms in the last");
  }

  @Test
  void aWindowTooShortToHaveThirdsIsNotJudgedForGrowth() {
    assertThat(CeilingSearch.lagGrew(List.of(10.0, 900.0))).isFalse();
    assertThat(CeilingSearch.firstThird(List.of(10.0, 900.0))).isNaN();
  }

  private static CeilingSearch run(
      CeilingSearch search, DoublePredicate sustains, List<Double> probed) {
    for (OptionalDouble rate = search.next(); rate.isPresent(); rate = search.next()) {
      probed.add(rate.getAsDouble());
      search.record(rate.getAsDouble(), sustains.test(rate.getAsDouble()));
    }
    return search;
  }
}
