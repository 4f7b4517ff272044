package io.cachepipe.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecretsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cachepipe.postgres.password",
        "cachepipe.redis.password",
        "debezium.source.database.password",
        "kafka.sasl.jaas.config",
        "kafka.ssl.key.password",
        "kafka.ssl.keystore.password",
        "kafka.ssl.keystore.key",
        "cachepipe.api.secret",
        "cachepipe.admin.token",
        "kafka.sasl.oauthbearer.client.credentials.client.secret"
      })
  void keysNamedLikeSecretsAreSecret(String key) {
    assertThat(Secrets.isSecretKey(key)).isTrue();
    assertThat(Secrets.mask(key, "S3cr3t-XYZ", false)).isEqualTo(Secrets.MASK);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cachepipe.redis.uri",
        "cachepipe.redis.username",
        "kafka.sasl.mechanism",
        "cachepipe.postgres.password.file",
        "kafka.ssl.keystore.location"
      })
  void otherKeysAreNot(String key) {
    assertThat(Secrets.isSecretKey(key)).isFalse();
  }

  @Test
  void aSecretFieldIsMaskedWhateverItsName() {
    assertThat(Secrets.mask("cachepipe.some.key", "value", true)).isEqualTo(Secrets.MASK);
  }

  @Test
  void anEmptySecretIsShownEmpty() {
    assertThat(Secrets.mask("cachepipe.postgres.password", "", true)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "redis://default:S3cr3t@r:6379/0 | redis://default:********@r:6379/0",
        "rediss://:S3cr3t@r:6380 | rediss://:********@r:6380",
        "redis://S3cr3t@r:6379 | redis://********@r:6379",
        "redis://r:6379 | redis://r:6379",
        "jdbc:postgresql://app:S3cr3t@db:5432/shop | jdbc:postgresql://app:********@db:5432/shop",
        "jdbc:postgresql://app@db:5432/shop | jdbc:postgresql://app@db:5432/shop",
        "jdbc:postgresql://db/shop?user=app&password=S3cr3t&sslmode=require"
            + " | jdbc:postgresql://db/shop?user=app&password=********&sslmode=require",
        "jdbc:postgresql://db/shop?sslpassword=S3cr3t | jdbc:postgresql://db/shop?sslpassword=********",
        "PlainLoginModule required username=\"u\" password=\"S3cr3t\"; | PlainLoginModule required"
            + " username=\"u\" password=\"********\";",
        "{\"message\":\"jaas password=\\\"S3cr3t\\\"\"} | {\"message\":\"jaas"
            + " password=\\\"********\\\"\"}",
        "{\"message\":\"at redis:\\/\\/u:S3cr3t@h:1\"} | {\"message\":\"at"
            + " redis:\\/\\/u:********@h:1\"}",
        "cannot connect to redis://u:S3cr3t@h:1 (refused) | cannot connect to redis://u:********@h:1"
            + " (refused)"
      })
  void credentialsInsideValuesAreMasked(String text, String masked) {
    assertThat(Secrets.maskCredentials(text)).isEqualTo(masked);
    assertThat(Secrets.mask("cachepipe.some.url", text, false)).isEqualTo(masked);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "jdbc:postgresql://db/shop?password=ab;cd,ef&ssl=true"
            + " | jdbc:postgresql://db/shop?password=********&ssl=true",
        "PlainLoginModule required username=\"u\" password=\"a b;c,d\";"
            + " | PlainLoginModule required username=\"u\" password=\"********\";",
        "{\"message\":\"jaas password=\\\"a b;c\\\"\"}"
            + " | {\"message\":\"jaas password=\\\"********\\\"\"}"
      })
  void aPasswordIsMaskedWholeWhateverSeparatorsItHolds(String text, String masked) {
    assertThat(Secrets.maskCredentials(text)).isEqualTo(masked);
    assertThat(Secrets.mask("cachepipe.some.url", text, false)).isEqualTo(masked);
  }

  @Test
  void aSingleQuotedPasswordIsMaskedToItsClosingQuote() {
    assertThat(Secrets.maskCredentials("ScramLoginModule required password='x y;z';"))
        .isEqualTo("ScramLoginModule required password='********';");
  }

  @Test
  void aPemPrivateKeyIsMaskedAsAValueAndInsideAMessage() {
    String pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----";
    String escaped = "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIB\\n-----END EC PRIVATE KEY-----";

    assertThat(Secrets.mask("kafka.ssl.keystore.key", pem, false)).isEqualTo(Secrets.MASK);
    assertThat(Secrets.maskCredentials("bad key " + pem + " in config"))
        .isEqualTo("bad key " + Secrets.MASK + " in config");
    assertThat(Secrets.maskCredentials("{\"m\":\"" + escaped + "\"}"))
        .isEqualTo("{\"m\":\"" + Secrets.MASK + "\"}")
        .doesNotContain("MHcCAQEEIB");
  }
}
