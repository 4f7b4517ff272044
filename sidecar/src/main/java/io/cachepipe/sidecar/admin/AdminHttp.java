package io.cachepipe.sidecar.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port's HTTP side, on the JDK's own server: a handful of GET routes, each answered by a
 * function, and the status page's files from the jar; who may see what is {@link AdminAccess}'s.
 *
 * <p>The JDK's server reads a request on a worker thread, so a client that sends one byte and
 * stalls holds a worker: there are enough workers for many such clients at once ({@link
 * #MAX_WORKERS}), and a request not read within {@link #REQUEST_TIMEOUT_SECONDS} is closed. Beyond
 * the workers a new connection is reset rather than queued behind stalled ones.
 */
final class AdminHttp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminHttp.class);

  /** Workers: each request in progress, stalled or not, holds one. */
  static final int MAX_WORKERS = 128;

  /** Seconds a client has to send its whole request. */
  static final int REQUEST_TIMEOUT_SECONDS = 5;

  /** Seconds a response may take to be written to a client that does not read it. */
  static final int RESPONSE_TIMEOUT_SECONDS = 10;

  /** Seconds an idle keep-alive connection is kept. */
  static final int IDLE_TIMEOUT_SECONDS = 30;

  static {
    // The JDK's server reads these once, JVM-wide, when the first server is made; a value set on
    // the command line wins.
    setIfAbsent("sun.net.httpserver.maxReqTime", REQUEST_TIMEOUT_SECONDS);
    setIfAbsent("sun.net.httpserver.maxRspTime", RESPONSE_TIMEOUT_SECONDS);
    setIfAbsent("sun.net.httpserver.idleInterval", IDLE_TIMEOUT_SECONDS);
  }

  private static void setIfAbsent(String property, int seconds) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, Integer.toString(seconds));
    }
  }

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

  /**
   * Binds {@code host:port} (0 picks a free port) and answers {@code routes} by exact path to the
   * requests {@code access} lets through.
   */
  AdminHttp(String host, int port, AdminAccess access, Map<String, Supplier<Response>> routes)
      throws IOException {
    this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
    this.workers =
        new ThreadPoolExecutor(
            0,
            MAX_WORKERS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            DaemonThreads.named("cachepipe-admin-http"));
    server.setExecutor(workers);
    server.createContext("/", exchange -> answer(exchange, access, routes));
    server.start();
  }

  /** The port bound (the one picked, when 0 was asked). */
  int port() {
    return server.getAddress().getPort();
  }

  private static void answer(
      HttpExchange exchange, AdminAccess access, Map<String, Supplier<Response>> routes)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      AdminAccess.Verdict verdict =
          access.judge(
              path,
              exchange.getRequestHeaders().getFirst("Host"),
              exchange.getRequestHeaders().getFirst("Authorization"));
      Response response;
      if (verdict == AdminAccess.Verdict.WRONG_HOST) {
        response =
            Response.text(
                403,
                "text/plain; charset=utf-8",
                "forbidden: this admin port answers its own host names only"
                    + " (cachepipe.admin.allowed.hosts)\n");
      } else if (verdict == AdminAccess.Verdict.UNAUTHORIZED) {
        response =
            Response.text(
                401,
                "text/plain; charset=utf-8",
                "unauthorized: send Authorization: Bearer <cachepipe.admin.token>\n");
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"cachepipe\"");
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        response = Response.text(405, "text/plain; charset=utf-8", "GET only\n");
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      } else if (routes.containsKey(path)) {
        response = respond(routes.get(path), path);
        if (verdict == AdminAccess.Verdict.STATUS_ONLY) {
          // "live" or "ready": whether it is, and nothing about why.
          String name = path.substring(path.lastIndexOf('/') + 1);
          response = Response.json(response.status(), Map.of(name, response.status() == 200));
        }
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
