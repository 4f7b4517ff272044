package io.cachepipe.core.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Optional;
import javax.net.ssl.TrustManagerFactory;

/**
 * Which certificates a {@code rediss://} (TLS) connection trusts: those of {@code
 * cachepipe.redis.tls.truststore.path}, a PKCS12 or JKS trust store or a PEM file of CA
 * certificates (as {@code redis-cli --cacert} takes it), else the JVM's default trust store.
 *
 * @param truststorePath the trust store, or empty for the JVM's
 * @param truststorePassword its password, if it has one
 */
public record RedisTls(String truststorePath, String truststorePassword) {

  public static final ConfigField<String> TRUSTSTORE_PATH =
      ConfigField.string(
          "cachepipe.redis.tls.truststore.path",
          "",
          "For rediss:// (TLS): the certificates that the Redis server's certificate is checked"
              + " against: a PKCS12 or JKS trust store, or a PEM file of CA certificates (redis-cli"
              + " --cacert's); empty = the JVM's default trust store.");
  public static final ConfigField<String> TRUSTSTORE_PASSWORD =
      ConfigField.secret(
          "cachepipe.redis.tls.truststore.password",
          "",
          "Password of the PKCS12 or JKS trust store of cachepipe.redis.tls.truststore.path, if"
              + " it has one.");

  /** The JVM's default trust store. */
  public static final RedisTls JVM_DEFAULT = new RedisTls("", "");

  public static RedisTls from(Settings settings) {
    return new RedisTls(settings.get(TRUSTSTORE_PATH), settings.get(TRUSTSTORE_PASSWORD));
  }

  /**
   * The trust managers of the configured trust store, or empty for the JVM's default.
   *
   * @throws ConfigException naming {@code cachepipe.redis.tls.truststore.path} if the file cannot
   *     be read as a trust store (never quoting the password)
   */
  public Optional<TrustManagerFactory> trustManagers() {
    if (truststorePath.isEmpty()) {
      return Optional.empty();
    }
    Path path = Path.of(truststorePath);
    try {
      KeyStore store = isPem(path) ? pemStore(path) : keyStore(path);
      if (store.size() == 0) {
        // A PKCS12 store read without its password shows no certificate: nothing would be trusted.
        throw new GeneralSecurityException(
            "no certificate in it (a store with a password needs "
                + TRUSTSTORE_PASSWORD.name()
                + ")");
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return Optional.of(factory);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(
          TRUSTSTORE_PATH.name()
              + ": expected a readable PKCS12 or JKS trust store or a PEM file of CA certificates,"
              + " got '"
              + truststorePath
              + "': "
              + e.getMessage());
    }
  }

  private static boolean isPem(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return new String(in.readNBytes(64), StandardCharsets.US_ASCII).contains("-----BEGIN");
    }
  }

  private static KeyStore pemStore(Path path) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(path)) {
      int i = 0;
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, certificate);
      }
      if (i == 0) {
        throw new GeneralSecurityException("no certificate in it");
      }
    }
    return store;
  }

  private KeyStore keyStore(Path path) throws IOException, GeneralSecurityException {
    // KeyStore.getInstance(File, ...) tells PKCS12 from JKS by the content.
    return KeyStore.getInstance(
        path.toFile(), truststorePassword.isEmpty() ? null : truststorePassword.toCharArray());
  }

  @Override
  public String toString() {
    return "RedisTls[truststore="
        + (truststorePath.isEmpty() ? "JVM default" : truststorePath)
        + "]";
  }
}
