package io.cachepipe.sidecar.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cachepipe.core.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port's HTTP side, on the JDK's own server: a handful of GET routes, each answered by a
 * function, and the status page's files from the jar.
 */
final class AdminHttp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminHttp.class);
  private static final String PAGES = "/io/cachepipe/sidecar/admin/";
  private static final Map<String, String> PAGE_FILES =
      Map.of(
          "/", "index.html",
          "/status.js", "status.js",
          "/status.css", "status.css");

  /** A response: status code, content type and body. */
  record Response(int status, String contentType, byte[] body) {

    static Response json(int status, Object value) {
      try {
        return new Response(status, "application/json", Json.mapper().writeValueAsBytes(value));
      } catch (IOException e) {
        throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
      }
    }

    static Response text(int status, String contentType, String body) {
      return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  private final HttpServer server;
  private final ExecutorService workers;

  /** Binds {@code host:port} (0 picks a free port) and answers {@code routes} by exact path. */
  AdminHttp(String host, int port, Map<String, Supplier<Response>> routes) throws IOException {
    this.server = HttpServer.create(new InetSocketAddress(host, port), 16);
    this.workers =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "cachepipe-admin-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(workers);
    server.createContext("/", exchange -> answer(exchange, routes));
    server.start();
  }

  /** The port bound (the one picked, when 0 was asked). */
  int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange exchange, Map<String, Supplier<Response>> routes)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Response response;
      if (!method.equals("GET") && !method.equals("HEAD")) {
        response = Response.text(405, "text/plain; charset=utf-8", "GET only\n");
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      } else if (routes.containsKey(path)) {
        response = respond(routes.get(path), path);
      } else if (PAGE_FILES.containsKey(path)) {
        response = page(PAGE_FILES.get(path));
      } else {
        response = Response.text(404, "text/plain; charset=utf-8", "not found: " + path + "\n");
      }
      send(exchange, method.equals("HEAD"), response);
    }
  }

  private static Response respond(Supplier<Response> route, String path) {
    try {
      return route.get();
    } catch (RuntimeException e) {
      LOG.warn("admin {} failed: {}", path, e.getMessage(), e);
      return Response.text(500, "text/plain; charset=utf-8", "failed: " + e.getMessage() + "\n");
    }
  }

  private static Response page(String file) throws IOException {
    try (InputStream in = AdminHttp.class.getResourceAsStream(PAGES + file)) {
      if (in == null) {
        return Response.text(404, "text/plain; charset=utf-8", "missing from the jar: " + file);
      }
      String type =
          file.endsWith(".html")
              ? "text/html; charset=utf-8"
              : file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
      return new Response(200, type, in.readAllBytes());
    }
  }

  private static void send(HttpExchange exchange, boolean head, Response response)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if (head) {
      exchange.sendResponseHeaders(response.status(), -1);
      return;
    }
    exchange.sendResponseHeaders(response.status(), response.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(response.body());
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
