package io.cachepipe.core.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamedQueryTest {

  @Test
  void aNamedParameterBecomesAJdbcPlaceholder() {
    NamedQuery query =
        NamedQuery.parse("q", "SELECT count(*) FROM posts WHERE author_id = :author_id");

    assertThat(query.sql()).isEqualTo("SELECT count(*) FROM posts WHERE author_id = ?");
    assertThat(query.order()).containsExactly("author_id");
    assertThat(query.bind(Map.of("author_id", "42"))).containsExactly("42");
  }

  @Test
  void postgresCastsAreLeftAlone() {
    NamedQuery query =
        NamedQuery.parse(
            "q", "SELECT sum(view_count)::bigint, now()::text FROM posts WHERE id = :id::bigint");

    assertThat(query.sql())
        .isEqualTo("SELECT sum(view_count)::bigint, now()::text FROM posts WHERE id = ?::bigint");
    assertThat(query.order()).containsExactly("id");
  }

  @Test
  void aRepeatedParameterIsBoundAtEachOfItsPlacesInOrder() {
    NamedQuery query = NamedQuery.parse("q", "SELECT 1 FROM t WHERE a = :a OR b = :b OR c = :a");

    assertThat(query.sql()).isEqualTo("SELECT 1 FROM t WHERE a = ? OR b = ? OR c = ?");
    assertThat(query.order()).containsExactly("a", "b", "a");
    assertThat(query.parameters()).containsExactly("a", "b");
    assertThat(query.bind(Map.of("a", "1", "b", "2"))).containsExactly("1", "2", "1");
  }

  @Test
  void aQueryWithoutParametersIsRejectedNamingItsKey() {
    assertThatThrownBy(
            () -> NamedQuery.parse("cachepipe.warm.stats.query", "SELECT count(*)::int FROM posts"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.warm.stats.query:");
  }

  @Test
  void serverPositionsMapBackToTheTextWithNamedParameters() {
    // Sent as: SELECT id FROM posts WHERE author_id = $1 AND nosuch = 1
    NamedQuery query =
        NamedQuery.of("SELECT id FROM posts WHERE author_id = :author_id AND nosuch = 1");
    int sentPosition = "SELECT id FROM posts WHERE author_id = $1 AND ".length() + 1;

    assertThat(query.originalPosition(sentPosition))
        .isEqualTo("SELECT id FROM posts WHERE author_id = :author_id AND ".length() + 1);
    assertThat(query.originalPosition(8)).as("before any parameter").isEqualTo(8);
  }
}
