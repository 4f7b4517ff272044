package io.cachepipe.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisTlsTest {

  @TempDir Path dir;

  @Test
  void withoutATrustStoreTheJvmsDefaultIsUsed() {
    RedisTls tls = RedisTls.from(Settings.empty());

    assertThat(tls).isEqualTo(RedisTls.JVM_DEFAULT);
    assertThat(tls.trustManagers()).isEmpty();
  }

  @Test
  void aFileThatIsNoTrustStoreIsRefusedNamingTheKeyAndNeverThePassword() throws Exception {
    Path notAStore = Files.writeString(dir.resolve("ca.txt"), "not a certificate");
    RedisTls tls =
        RedisTls.from(
            Settings.of(
                Map.of(
                    "cachepipe.redis.tls.truststore.path",
                    notAStore.toString(),
                    "cachepipe.redis.tls.truststore.password",
                    "S3cr3t-store")));

    assertThatThrownBy(tls::trustManagers)
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "cachepipe.redis.tls.truststore.path: expected a readable PKCS12 or JKS trust store"
                + " or a PEM file of CA certificates, got '"
                + notAStore
                + "'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("S3cr3t-store"));
  }

  @Test
  void aMissingFileIsRefusedNamingTheKey() {
    RedisTls tls = new RedisTls(dir.resolve("missing.pem").toString(), "");

    assertThatThrownBy(tls::trustManagers)
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.redis.tls.truststore.path: expected a readable");
  }

  @Test
  void aTrustStoreWithoutACertificateIsRefusedSayingWhy() throws Exception {
    Path store = dir.resolve("empty.p12");
    KeyStore empty = KeyStore.getInstance("PKCS12");
    empty.load(null, null);
    try (var out = Files.newOutputStream(store)) {
      empty.store(out, "S3cr3t-store".toCharArray());
    }
    RedisTls tls = new RedisTls(store.toString(), "S3cr3t-store");

    assertThatThrownBy(tls::trustManagers)
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.redis.tls.truststore.path: expected a readable")
        .hasMessageEndingWith(
            "no certificate in it (a store with a password needs"
                + " cachepipe.redis.tls.truststore.password)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("S3cr3t-store"));
  }

  @Test
  void thePasswordIsMaskedWhenPrinted() {
    Settings settings =
        Settings.of(Map.of("cachepipe.redis.tls.truststore.password", "S3cr3t-store"));

    assertThat(settings.masked(Connections.FIELDS))
        .containsEntry("cachepipe.redis.tls.truststore.password", "********");
  }
}
