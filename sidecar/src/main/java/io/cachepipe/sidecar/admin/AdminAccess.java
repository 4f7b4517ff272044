package io.cachepipe.sidecar.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who the admin port answers. The Host header must name it (against DNS rebinding: a web page that
 * makes its own name resolve to 127.0.0.1 can otherwise read a loopback port from the browser);
 * with a token, a request must carry it, except for what reveals nothing: the status codes of the
 * health probes (what Kubernetes' and Docker's probes read) and the status page's static files.
 */
final class AdminAccess {

  /** What a request may see. */
  enum Verdict {
    /** Everything. */
    ALLOWED,
    /** A health probe without the token: its status code, no detail. */
    STATUS_ONLY,
    /** The Host header names something else: 403. */
    WRONG_HOST,
    /** The token is missing or wrong: 401. */
    UNAUTHORIZED
  }

  private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]");

  /** Paths that answer without the token: their content is the same for everyone. */
  static final Set<String> STATIC_PATHS = Set.of("/", "/status.js", "/status.css");

  /** Health probes: without the token, their status code only. */
  static final Set<String> PROBE_PATHS = Set.of("/health/live", "/health/ready");

  private final byte[] token;
  private final Set<String> hosts;

  /**
   * @param token the bearer token, or empty for none
   * @param loopback whether the port binds loopback only
   * @param allowedHosts names answered besides loopback's; off loopback, empty means any
   */
  AdminAccess(String token, boolean loopback, List<String> allowedHosts) {
    this.token = token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    if (!loopback && allowedHosts.isEmpty()) {
      this.hosts = null;
    } else {
      Set<String> names = new HashSet<>(LOOPBACK_NAMES);
      allowedHosts.forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
      this.hosts = names;
    }
  }

  static AdminAccess of(AdminConfig config) {
    return new AdminAccess(config.token(), config.loopback(), config.allowedHosts());
  }

  /**
   * The verdict on a request for {@code path} with these headers (each may be null).
   *
   * @param host the Host header
   * @param authorization the Authorization header
   */
  Verdict judge(String path, String host, String authorization) {
    if (hosts != null && (host == null || !hosts.contains(hostName(host)))) {
      return Verdict.WRONG_HOST;
    }
    if (token == null || STATIC_PATHS.contains(path) || carriesToken(authorization)) {
      return Verdict.ALLOWED;
    }
    return PROBE_PATHS.contains(path) ? Verdict.STATUS_ONLY : Verdict.UNAUTHORIZED;
  }

  /**
   * The name of a Host header, lower case, without its port: {@code [::1]:9400} is {@code [::1]}.
   */
  static String hostName(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    int colon = h.lastIndexOf(':');
    if (colon >= 0 && colon > h.lastIndexOf(']')) {
      h = h.substring(0, colon);
    }
    return h;
  }

  private boolean carriesToken(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    // Constant time: how long a comparison takes must not tell how much of a guess was right.
    return MessageDigest.isEqual(given, token);
  }
}
