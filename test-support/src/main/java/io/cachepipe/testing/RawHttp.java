package io.cachepipe.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 GET written by hand, for requests Java's HTTP client will not send: a Host header of
 * the caller's choosing (a page that rebinds its own name to the loopback address sends its name).
 */
public final class RawHttp {

  private RawHttp() {}

  /**
   * Sends {@code GET path} to 127.0.0.1:{@code port} and returns the whole response, status line
   * first.
   *
   * @param host the Host header
   * @param authorization the Authorization header, or null for none
   */
  public static String get(int port, String path, String host, String authorization)
      throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: "
              + host
              + "\r\n"
              + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
              + "Connection: close\r\n\r\n";
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
