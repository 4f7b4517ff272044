package io.cachepipe.servers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway certificate authority and a server certificate it signed for {@code 127.0.0.1} and
 * {@code localhost}, made with the {@code openssl} command line (PEM files, EC P-256 keys, valid
 * for a day): what a local server needs to speak TLS to clients that check its certificate.
 *
 * @param caCertificate the CA's certificate: what clients trust
 * @param certificate the server's certificate
 * @param key the server's private key (unencrypted)
 */
public record TestCertificates(Path caCertificate, Path certificate, Path key) {

  /** Makes the CA and the server certificate in {@code dir}. */
  public static TestCertificates create(Path dir) {
    Path caKey = dir.resolve("ca.key");
    Path ca = dir.resolve("ca.pem");
    Path key = dir.resolve("server.key");
    Path request = dir.resolve("server.csr");
    Path certificate = dir.resolve("server.pem");
    Path extensions = dir.resolve("server.ext");
    try {
      Files.writeString(
          extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
      openssl(
          dir,
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          caKey,
          "-out",
          ca,
          "-days",
          "1",
          "-subj",
          "/CN=cachepipe test CA");
      openssl(
          dir,
          "req",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          key,
          "-out",
          request,
          "-subj",
          "/CN=127.0.0.1");
      openssl(
          dir,
          "x509",
          "-req",
          "-in",
          request,
          "-CA",
          ca,
          "-CAkey",
          caKey,
          "-CAcreateserial",
          "-out",
          certificate,
          "-days",
          "1",
          "-extfile",
          extensions);
    } catch (IOException e) {
      throw new LocalServerException("cannot write TLS files in " + dir, e);
    }
    return new TestCertificates(ca, certificate, key);
  }

  /** Sockets that trust only {@link #caCertificate()}. */
  public SSLSocketFactory socketFactory() {
    try (InputStream in = Files.newInputStream(caCertificate)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (IOException | GeneralSecurityException e) {
      throw new LocalServerException("cannot read the test CA " + caCertificate, e);
    }
  }

  private static void openssl(Path dir, Object... arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    for (Object argument : arguments) {
      command.add(argument.toString());
    }
    Path log = dir.resolve("openssl.log");
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new LocalServerException(
            String.join(" ", command) + " failed: " + Files.readString(log).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LocalServerException("interrupted while running openssl", e);
    }
  }
}
