package io.cachepipe.pgtools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@link Explainer} lets reach the database: exactly one statement, one that can run inside
 * the transaction that rolls it back. pgjdbc executes every statement of a {@code ;}-separated
 * text, and a {@code COMMIT} among them ends that transaction, so that what follows it runs for
 * real; a {@code VACUUM} or a {@code CREATE INDEX CONCURRENTLY} cannot run in a transaction at all.
 * Such text is refused, with one line saying why, before it is sent.
 */
public final class ExplainableStatement {

  /** First words of transaction control. */
  private static final Set<String> TRANSACTION_CONTROL =
      Set.of("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE");

  /** First words of statements PostgreSQL refuses to run inside a transaction block. */
  private static final Set<String> OUTSIDE_TRANSACTIONS =
      Set.of("VACUUM", "CLUSTER", "CHECKPOINT", "DISCARD");

  private ExplainableStatement() {}

  /**
   * Checks {@code sql}.
   *
   * @throws ToolException naming why it is refused: several statements, transaction control, or a
   *     statement that cannot run inside a transaction (any other statement EXPLAIN does not take
   *     is PostgreSQL's to refuse: it parses it and runs nothing)
   */
  public static void check(String sql) {
    List<List<String>> statements = statements(sql);
    if (statements.isEmpty()) {
      throw refused("there is no statement");
    }
    if (statements.size() > 1) {
      throw refused(
          statements.size()
              + " statements; it explains exactly one (the ones after a COMMIT among them would"
              + " run for real)");
    }
    List<String> words = statements.get(0);
    String first = words.get(0);
    if (TRANSACTION_CONTROL.contains(first)
        || first.equals("PREPARE") && words.size() > 1 && words.get(1).equals("TRANSACTION")) {
      throw refused(
          first
              + " is transaction control: it would end the transaction that rolls the explained"
              + " statement back");
    }
    if (OUTSIDE_TRANSACTIONS.contains(first)
        || words.contains("CONCURRENTLY")
        || (first.equals("CREATE") || first.equals("DROP") || first.equals("ALTER"))
            && words.size() > 1
            && Set.of("DATABASE", "TABLESPACE", "SYSTEM", "SUBSCRIPTION").contains(words.get(1))) {
      throw refused(
          String.join(" ", words.subList(0, Math.min(3, words.size())))
              + " cannot run inside a transaction, and EXPLAIN ANALYZE runs in one to roll it"
              + " back");
    }
  }

  private static ToolException refused(String why) {
    return new ToolException("db explain refused: " + why + "; nothing was sent to the database");
  }

  /**
   * The statements of {@code sql} split at top-level semicolons, each as its upper-case words
   * outside string literals, quoted identifiers, dollar quotes and comments; empty ones left out.
   */
  static List<List<String>> statements(String sql) {
    List<List<String>> statements = new ArrayList<>();
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      int skip = quotedOrCommentEnd(sql, i);
      if (skip > i) {
        endWord(word, words);
        i = skip;
        continue;
      }
      if (Character.isLetterOrDigit(c) || c == '_') {
        word.append(c);
      } else {
        endWord(word, words);
        if (c == ';' && !words.isEmpty()) {
          statements.add(words);
          words = new ArrayList<>();
        }
      }
      i++;
    }
    endWord(word, words);
    if (!words.isEmpty()) {
      statements.add(words);
    }
    return statements;
  }

  private static void endWord(StringBuilder word, List<String> words) {
    if (word.length() > 0) {
      words.add(word.toString().toUpperCase(Locale.ROOT));
      word.setLength(0);
    }
  }

  /**
   * Where the literal, quoted identifier, dollar-quoted string or comment that starts at {@code i}
   * ends (the index after it; the text's end if it is not closed), or {@code i} if none starts
   * there.
   */
  private static int quotedOrCommentEnd(String sql, int i) {
    char c = sql.charAt(i);
    if (c == '\'' || c == '"') {
      boolean backslashes = c == '\'' && i > 0 && "eE".indexOf(sql.charAt(i - 1)) >= 0;
      int j = i + 1;
      while (j < sql.length()) {
        char d = sql.charAt(j);
        if (backslashes && d == '\\') {
          j += 2;
          continue;
        }
        if (d == c) {
          if (j + 1 < sql.length() && sql.charAt(j + 1) == c) {
            j += 2; // a doubled quote is one quote character
            continue;
          }
          return j + 1;
        }
        j++;
      }
      return sql.length();
    }
    if (sql.startsWith("--", i)) {
      int end = sql.indexOf('\n', i);
      return end < 0 ? sql.length() : end + 1;
    }
    if (sql.startsWith("/*", i)) {
      int depth = 0;
      int j = i;
      while (j < sql.length()) {
        if (sql.startsWith("/*", j)) {
          depth++;
          j += 2;
        } else if (sql.startsWith("*/", j)) {
          depth--;
          j += 2;
          if (depth == 0) {
            return j;
          }
        } else {
          j++;
        }
      }
      return sql.length();
    }
    boolean afterWord =
        i > 0 && (Character.isLetterOrDigit(sql.charAt(i - 1)) || sql.charAt(i - 1) == '_');
    if (c == '$' && !afterWord) {
      int close = sql.indexOf('$', i + 1);
      if (close > i && sql.substring(i + 1, close).matches("[A-Za-z_][A-Za-z0-9_]*|")) {
        String tag = sql.substring(i, close + 1);
        int end = sql.indexOf(tag, close + 1);
        return end < 0 ? sql.length() : end + tag.length();
      }
    }
    return i;
  }
}
