package io.cachepipe.jmh;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.tag.TagRules;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** {@link TagRules#tagsFor}: the invalidator's per-change mapping to tags. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class TagRulesBenchmark {

  /** The example domain's rules: posts to post:{id} and user:{author_id}, every column matters. */
  private TagRules exampleRules;

  /** The same tags, each rule restricted to the columns its cached entries show. */
  private TagRules columnRules;

  private ChangeEvent authorMove;
  private ChangeEvent viewBump;

  @Setup
  public void setUp() {
    exampleRules = TagRules.from(Settings.empty());
    columnRules =
        TagRules.from(
            Settings.of(
                Map.of(
                    "cachepipe.rule.post.table", "public.posts",
                    "cachepipe.rule.post.tag", "post:{id}",
                    "cachepipe.rule.post.columns", "title,body,tags,is_published,is_deleted",
                    "cachepipe.rule.postauthor.table", "public.posts",
                    "cachepipe.rule.postauthor.tag", "user:{author_id}",
                    "cachepipe.rule.postauthor.columns",
                        "author_id,is_published,is_deleted,like_count")));
    authorMove = Posts.authorMove();
    viewBump = Posts.viewBump();
    check(exampleRules.tagsFor(authorMove), 3);
    check(columnRules.tagsFor(authorMove), 2);
    check(exampleRules.tagsFor(viewBump), 2);
    check(columnRules.tagsFor(viewBump), 0);
  }

  private static void check(TagRules.TagResult result, int tags) {
    if (result.tags().size() != tags) {
      throw new IllegalStateException("expected " + tags + " tags, got " + result.tags());
    }
  }

  /** post:7, user:1, user:2 from the before and after images. */
  @Benchmark
  public TagRules.TagResult authorMove() {
    return exampleRules.tagsFor(authorMove);
  }

  /**
   * The same change through rules with columns: the columns are compared first, and only user:1 and
   * user:2 remain (no column of the post rule changed).
   */
  @Benchmark
  public TagRules.TagResult authorMoveColumnRules() {
    return columnRules.tagsFor(authorMove);
  }

  /** A view_count-only update through rules without columns: post:7 and user:1. */
  @Benchmark
  public TagRules.TagResult unrelatedColumn() {
    return exampleRules.tagsFor(viewBump);
  }

  /** A view_count-only update through rules with columns: no tag at all. */
  @Benchmark
  public TagRules.TagResult unrelatedColumnColumnRules() {
    return columnRules.tagsFor(viewBump);
  }
}
