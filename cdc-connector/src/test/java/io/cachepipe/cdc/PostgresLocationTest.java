package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class PostgresLocationTest {

  @Test
  void hostPortDatabaseAndParametersAreTakenApart() {
    PostgresLocation location =
        PostgresLocation.parse(
            "jdbc:postgresql://db.example.com:6543/shop?sslmode=require&ApplicationName=cachepipe");

    assertThat(location.host()).isEqualTo("db.example.com");
    assertThat(location.port()).isEqualTo(6543);
    assertThat(location.database()).isEqualTo("shop");
    assertThat(location.parameters())
        .isEqualTo(Map.of("sslmode", "require", "ApplicationName", "cachepipe"));
  }

  @Test
  void withoutAPortTheDefaultPostgresPortApplies() {
    PostgresLocation location = PostgresLocation.parse("jdbc:postgresql://127.0.0.1/shop");

    assertThat(location.host()).isEqualTo("127.0.0.1");
    assertThat(location.port()).isEqualTo(5432);
    assertThat(location.database()).isEqualTo("shop");
    assertThat(location.parameters()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "jdbc:postgresql://primary:5432,standby:5432/shop",
        "jdbc:postgresql://primary,standby/shop?targetServerType=primary"
      })
  void aMultiHostUrlIsRejectedNamingTheKey(String url) {
    assertThatThrownBy(() -> PostgresLocation.parse(url))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.postgres.url:")
        .hasMessageContaining("one host");
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "jdbc:mysql://localhost:3306/shop",
        "postgresql://localhost:5432/shop",
        "localhost:5432/shop"
      })
  void aUrlThatIsNotAPostgresJdbcUrlIsRejectedNamingTheKey(String url) {
    assertThatThrownBy(() -> PostgresLocation.parse(url))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.postgres.url:");
  }

  @Test
  void aUrlWithoutADatabaseIsRejectedNamingTheKey() {
    assertThatThrownBy(() -> PostgresLocation.parse("jdbc:postgresql://localhost:5432/"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.postgres.url:")
        .hasMessageContaining("no database");
  }
}
