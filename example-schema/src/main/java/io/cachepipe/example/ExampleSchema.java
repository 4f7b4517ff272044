package io.cachepipe.example;

import org.flywaydb.core.Flyway;

/**
 * The example domain shipped with cachepipe ({@code users}, {@code posts} and their indexes), as
 * Flyway migrations. Users point cachepipe at their own schema through tag rules; this one backs
 * the demo, the tests and the benchmarks.
 */
public final class ExampleSchema {

  /** Where the migrations live on the class path. */
  public static final String LOCATION = "classpath:io/cachepipe/example/migration";

  private ExampleSchema() {}

  /** Applies every pending migration to the database at {@code jdbcUrl}. */
  public static void migrate(String jdbcUrl, String user, String password) {
    Flyway.configure().dataSource(jdbcUrl, user, password).locations(LOCATION).load().migrate();
  }
}
