package io.cachepipe.redis;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A Lua script that runs in Redis: its source and its SHA1 digest, computed here, so that it runs
 * with {@code EVALSHA} without asking Redis for the digest first. Redis forgets scripts when it
 * restarts or flushes them, and a cluster node may never have seen one: a {@code NOSCRIPT} reply is
 * answered with {@code EVAL}, which runs the script and caches it there again. Immutable.
 */
public final class LuaScript {

  private final String name;
  private final String source;
  private final String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  /**
   * The script in {@code resource}, looked up relative to {@code owner}'s package.
   *
   * @throws IllegalStateException if the resource is missing (a packaging error)
   */
  public static LuaScript load(Class<?> owner, String resource) {
    try (InputStream in = owner.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the class path of " + owner);
      }
      return new LuaScript(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The script's source text. */
  public String source() {
    return source;
  }

  /** The SHA1 digest Redis knows the script by (lower-case hex), as {@code SCRIPT LOAD} says. */
  public String sha() {
    return sha;
  }

  /**
   * Runs the script and waits for its reply: {@code EVALSHA}, then {@code EVAL} on {@code
   * NOSCRIPT}.
   */
  public <T> T run(
      RedisClusterCommands<String, String> redis,
      ScriptOutputType type,
      String[] keys,
      String... args) {
    try {
      return redis.evalsha(sha, type, keys, args);
    } catch (RedisNoScriptException e) {
      return redis.eval(source, type, keys, args);
    }
  }

  /**
   * Sends the script without waiting ({@code EVALSHA}); {@link Call#await} waits for its reply,
   * sending {@code EVAL} on {@code NOSCRIPT}. Many calls can be in flight at once, each on the node
   * that owns its keys' slot.
   */
  public <T> Call<T> send(
      RedisClusterAsyncCommands<String, String> redis,
      ScriptOutputType type,
      String[] keys,
      String... args) {
    return new Call<>(this, redis, type, keys, args, redis.evalsha(sha, type, keys, args));
  }

  /**
   * Loads the script into Redis ({@code SCRIPT LOAD}; on every master of a cluster). For a pipeline
   * of {@code EVALSHA} calls, which cannot answer a {@code NOSCRIPT} one by one: load first, and on
   * a {@code NOSCRIPT} load again and send the pipeline anew.
   */
  public RedisFuture<String> load(RedisClusterAsyncCommands<String, String> redis) {
    return redis.scriptLoad(source);
  }

  /** Sends the script ({@code EVALSHA}) without waiting, and nothing else: see {@link #load}. */
  public <T> RedisFuture<T> evalsha(
      RedisClusterAsyncCommands<String, String> redis,
      ScriptOutputType type,
      String[] keys,
      String... args) {
    return redis.evalsha(sha, type, keys, args);
  }

  /** Whether {@code failure}, or one of its causes, is Redis' {@code NOSCRIPT} reply. */
  public static boolean isNoScript(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof RedisNoScriptException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return name + " (" + sha + ")";
  }

  private static String sha1(String source) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(digest.digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** A script call in flight (see {@link #send}). */
  public static final class Call<T> {

    private final LuaScript script;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final ScriptOutputType type;
    private final String[] keys;
    private final String[] args;
    private final RedisFuture<T> sent;

    private Call(
        LuaScript script,
        RedisClusterAsyncCommands<String, String> redis,
        ScriptOutputType type,
        String[] keys,
        String[] args,
        RedisFuture<T> sent) {
      this.script = script;
      this.redis = redis;
      this.type = type;
      this.keys = keys;
      this.args = args;
      this.sent = sent;
    }

    /**
     * The script's reply, waiting up to {@code timeout} (and as long again if that node did not
     * know the script, for the {@code EVAL} that runs it there).
     *
     * @throws io.lettuce.core.RedisException if Redis fails or does not answer in time
     */
    public T await(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      try {
        return LettuceFutures.awaitOrCancel(sent, timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RedisNoScriptException e) {
        RedisFuture<T> eval = redis.eval(script.source, type, keys, args);
        return LettuceFutures.awaitOrCancel(eval, timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }
}
