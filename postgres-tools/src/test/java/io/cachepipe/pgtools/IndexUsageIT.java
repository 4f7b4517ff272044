package io.cachepipe.pgtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cachepipe.pgtools.IndexUsage.Index;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Index scans as pg_stat_user_indexes counts them, after the user stats query ran on 20,000 posts
 * and nothing else read the posts' other indexes.
 */
class IndexUsageIT {

  private static final List<String> POSTS_INDEXES =
      List.of(
          "posts_author_published_created_idx",
          "posts_published_created_idx",
          "posts_tags_gin_idx",
          "posts_engagement_idx",
          "posts_author_stats_idx",
          "posts_pkey");

  private static PostgresFixture.Database database;
  private static Connection db;

  @BeforeAll
  static void runUserStatsQueries() throws SQLException {
    database = TestServers.postgres().createDatabase("index_usage_it");
    db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
    ExamplePosts.seed(db, 200, 100);
    try (Connection reader =
        DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
      try (PreparedStatement st =
          reader.prepareStatement(
              "SELECT count(*), coalesce(sum(view_count),0) FROM posts"
                  + " WHERE author_id = ? AND is_deleted = false")) {
        for (long author = 1; author <= 5; author++) {
          st.setLong(1, author);
          try (ResultSet rs = st.executeQuery()) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(100);
          }
        }
      }
      // Backends flush their statistics at most once a second; this makes the next one prompt.
      try (Statement st = reader.createStatement()) {
        st.execute("SELECT pg_stat_force_next_flush()");
      }
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> byName(IndexUsage.of(db, "posts")).get("posts_author_stats_idx").scans() > 0);
  }

  @AfterAll
  static void close() throws SQLException {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void everyExampleIndexOfPostsIsListedWithItsSize() {
    List<Index> indexes = IndexUsage.of(db, "posts");

    assertThat(indexes).extracting(Index::index).containsExactlyInAnyOrderElementsOf(POSTS_INDEXES);
    assertThat(indexes).allSatisfy(i -> assertThat(i.sizeBytes()).isPositive());
    assertThat(indexes).allSatisfy(i -> assertThat(i.table()).isEqualTo("public.posts"));
  }

  @Test
  void scannedIndexCountsItsScansAndIsNotUnused() {
    Index stats = byName(IndexUsage.of(db, "posts")).get("posts_author_stats_idx");

    assertThat(stats.scans()).isGreaterThanOrEqualTo(5);
    assertThat(stats.tuplesRead()).isPositive();
    assertThat(stats.unused()).isFalse();
  }

  @Test
  void indexNoQueryUsedIsFlaggedUnused() {
    Index tags = byName(IndexUsage.of(db, "posts")).get("posts_tags_gin_idx");

    assertThat(tags.scans()).isZero();
    assertThat(tags.unused()).isTrue();
  }

  @Test
  void primaryKeyIsNeverFlaggedUnusedEvenWithoutScans() {
    Index pkey = byName(IndexUsage.of(db, "posts")).get("posts_pkey");

    assertThat(pkey.scans()).isZero();
    assertThat(pkey.unused()).isFalse();
  }

  @Test
  void uniqueConstraintIsNeverFlaggedUnused() {
    Index email = byName(IndexUsage.of(db, "users")).get("users_email_key");

    assertThat(email.scans()).isZero();
    assertThat(email.unused()).isFalse();
  }

  @Test
  void withoutATableIndexesOfUsersAndPostsAreListed() {
    Map<String, Index> all = byName(IndexUsage.of(db, null));

    assertThat(all).containsKeys("users_pkey", "users_email_key");
    assertThat(all).containsKeys(POSTS_INDEXES.toArray(String[]::new));
    assertThat(all.get("users_pkey").table()).isEqualTo("public.users");
  }

  @Test
  void schemaQualifiedTableIsAccepted() {
    assertThat(IndexUsage.of(db, "public.posts"))
        .extracting(Index::index)
        .containsExactlyInAnyOrderElementsOf(POSTS_INDEXES);
  }

  @Test
  void unknownTableIsNamed() {
    assertThatThrownBy(() -> IndexUsage.of(db, "nosuch"))
        .isInstanceOf(ToolException.class)
        .hasMessage("table nosuch does not exist");
  }

  private static Map<String, Index> byName(List<Index> indexes) {
    return indexes.stream().collect(Collectors.toMap(Index::index, Function.identity()));
  }
}
