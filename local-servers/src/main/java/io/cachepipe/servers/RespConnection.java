package io.cachepipe.servers;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocket;

/**
 * A bare Redis connection speaking RESP over a socket: enough to probe a server and send a few
 * administrative commands without a client library. Replies that are arrays are not supported.
 */
public final class RespConnection implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  private RespConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new BufferedInputStream(socket.getInputStream());
  }

  /**
   * Connects to {@code host:port}; {@code timeout} bounds the connect and every later read.
   *
   * @throws IOException if nothing accepts the connection in time
   */
  public static RespConnection open(String host, int port, Duration timeout) throws IOException {
    return open(host, port, timeout, SocketFactory.getDefault());
  }

  /**
   * Like {@link #open(String, int, Duration)}, with sockets of {@code sockets}: an {@code
   * SSLSocketFactory} for a server that speaks TLS.
   */
  public static RespConnection open(String host, int port, Duration timeout, SocketFactory sockets)
      throws IOException {
    Socket socket = sockets.createSocket();
    try {
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      if (socket instanceof SSLSocket tls) {
        tls.startHandshake();
      }
      return new RespConnection(socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Sends one command and reads its reply.
   *
   * @return a status or bulk reply as text, an integer reply in decimal, or {@code null} for a nil
   *     bulk reply
   * @throws LocalServerException if the server answers with an error
   * @throws IOException if the connection fails or times out
   */
  public String call(String... command) throws IOException {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    writeLine(request, "*" + command.length);
    for (String argument : command) {
      byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
      writeLine(request, "$" + bytes.length);
      request.write(bytes);
      writeLine(request, "");
    }
    out.write(request.toByteArray());
    out.flush();
    return readReply(command[0]);
  }

  private String readReply(String commandName) throws IOException {
    String line = readLine();
    if (line.isEmpty()) {
      throw new IOException("empty reply to " + commandName);
    }
    String payload = line.substring(1);
    switch (line.charAt(0)) {
      case '+':
      case ':':
        return payload;
      case '-':
        throw new LocalServerException("Redis answered " + commandName + " with: " + payload);
      case '$':
        int length = Integer.parseInt(payload);
        if (length < 0) {
          return null;
        }
        byte[] bulk = in.readNBytes(length + 2);
        if (bulk.length < length + 2) {
          throw new EOFException("connection closed inside a reply to " + commandName);
        }
        return new String(bulk, 0, length, StandardCharsets.UTF_8);
      default:
        throw new IOException("unsupported reply to " + commandName + ": " + line);
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException("connection closed by the server");
      }
      line.write(b);
    }
    String text = line.toString(StandardCharsets.UTF_8);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  private static void writeLine(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(new byte[] {'\r', '\n'});
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
