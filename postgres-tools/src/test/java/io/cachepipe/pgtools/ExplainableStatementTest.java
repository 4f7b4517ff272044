package io.cachepipe.pgtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExplainableStatementTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SELECT 1",
        "select 1;",
        "select ';' as semicolon; -- a comment; with a semicolon",
        "select $$a;b$$, $tag$ ; commit; $tag$",
        "select 'it''s; fine', E'back\\\\'slash;', \"odd;name\" from t /* ; /* nested; */ ; */",
        "with gone as (delete from t returning *) select count(*) from gone",
        "update posts set view_count = view_count + 1 where author_id = :id",
        "create table copy as select * from t"
      })
  void oneExplainableStatementPasses(String sql) {
    assertThatNoException().isThrownBy(() -> ExplainableStatement.check(sql));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "select 1; commit; delete from t | 3 statements",
        "delete from t; delete from t | 2 statements",
        "commit | COMMIT is transaction control",
        "ROLLBACK | ROLLBACK is transaction control",
        "savepoint s | SAVEPOINT is transaction control",
        "release savepoint s | RELEASE is transaction control",
        "begin | BEGIN is transaction control",
        "start transaction | START is transaction control",
        "end | END is transaction control",
        "abort | ABORT is transaction control",
        "prepare transaction x | PREPARE is transaction control",
        "vacuum t | VACUUM T cannot run inside a transaction",
        "create index concurrently t_i on t (id) | CREATE INDEX CONCURRENTLY cannot run inside",
        "drop index concurrently t_i | DROP INDEX CONCURRENTLY cannot run inside",
        "reindex table concurrently t | REINDEX TABLE CONCURRENTLY cannot run inside",
        "create database x | CREATE DATABASE X cannot run inside",
        "alter system set work_mem = '1MB' | ALTER SYSTEM SET cannot run inside",
        "-- only a comment | there is no statement"
      })
  void otherTextIsRefusedSayingWhy(String sql, String why) {
    assertThatThrownBy(() -> ExplainableStatement.check(sql))
        .isInstanceOf(ToolException.class)
        .hasMessageStartingWith("db explain refused: ")
        .hasMessageContaining(why)
        .hasMessageEndingWith("nothing was sent to the database")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void wordsInsideLiteralsAndCommentsDoNotCount() {
    assertThat(ExplainableStatement.statements("select 'commit;' /* vacuum; */ -- x;\n, 2"))
        .containsExactly(List.of("SELECT", "2"));
  }
}
