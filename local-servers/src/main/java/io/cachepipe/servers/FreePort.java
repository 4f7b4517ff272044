package io.cachepipe.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks TCP ports on the loopback interface that nothing listens on at the moment of asking. */
public final class FreePort {

  private FreePort() {}

  /**
   * A port that was free on 127.0.0.1 a moment ago. Another process may still take it before the
   * caller binds it; the servers here start right after picking, which keeps that window short.
   */
  public static int pick() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
    }
  }
}
