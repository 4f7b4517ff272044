package io.cachepipe.auditor;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Where the auditor gets its PostgreSQL connection, one per audit (closed after it): {@code
 * dataSource::getConnection}, or a plain {@code DriverManager} connection for a one-off command.
 */
@FunctionalInterface
public interface ConnectionSource {

  Connection open() throws SQLException;
}
