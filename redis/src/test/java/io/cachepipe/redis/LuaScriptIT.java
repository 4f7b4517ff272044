package io.cachepipe.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A script's digest is Redis' own, and a script Redis forgot runs all the same. */
class LuaScriptIT {

  private static final LuaScript ECHO = LuaScript.load(LuaScriptIT.class, "echo.lua");
  private static final String[] KEYS = {"k"};

  private static RedisFixture server;
  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void connect() {
    server = TestServers.redis();
    client = RedisClient.create(server.uri());
    connection = client.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void disconnect() {
    connection.close();
    client.shutdown();
  }

  @BeforeEach
  void forgetScripts() {
    redis.scriptFlush();
  }

  @Test
  void theDigestComputedLocallyIsTheOneScriptLoadReturns() {
    for (LuaScript script :
        List.of(
            ECHO,
            CacheScripts.FENCED_FILL,
            CacheScripts.FENCED_TAG,
            CacheScripts.EVICT_TAG,
            CacheScripts.EVICT_CHUNK,
            CacheScripts.ADVANCE_WATERMARK)) {
      assertThat(redis.scriptLoad(script.source())).as(script.toString()).isEqualTo(script.sha());
    }
  }

  @Test
  void runAnswersNoScriptWithEvalWhichCachesTheScriptAgain() {
    assertThat(redis.scriptExists(ECHO.sha())).containsExactly(false);

    List<Object> reply = ECHO.run(redis, ScriptOutputType.MULTI, KEYS, "a");

    assertThat(reply).containsExactly("k", "a");
    assertThat(redis.scriptExists(ECHO.sha())).containsExactly(true);
    assertThat(ECHO.<List<Object>>run(redis, ScriptOutputType.MULTI, KEYS, "b"))
        .containsExactly("k", "b");
  }

  @Test
  void aCallInFlightAnswersNoScriptWithEval() {
    LuaScript.Call<List<Object>> call =
        ECHO.send(connection.async(), ScriptOutputType.MULTI, KEYS, "c");

    assertThat(call.await(Duration.ofSeconds(5))).containsExactly("k", "c");
    assertThat(redis.scriptExists(ECHO.sha())).containsExactly(true);
  }

  @Test
  void aPipelinedEvalshaOfAForgottenScriptFailsWithNoScriptUntilItIsLoaded() throws Exception {
    var forgotten = ECHO.evalsha(connection.async(), ScriptOutputType.MULTI, KEYS, "d");
    assertThatThrownBy(forgotten::get)
        .isInstanceOf(ExecutionException.class)
        .satisfies(e -> assertThat(LuaScript.isNoScript(e)).isTrue());

    assertThat(ECHO.load(connection.async()).get()).isEqualTo(ECHO.sha());
    assertThat(ECHO.evalsha(connection.async(), ScriptOutputType.MULTI, KEYS, "e").get())
        .isEqualTo(List.of("k", "e"));
  }

  @Test
  void otherFailuresAreNotNoScript() {
    assertThat(LuaScript.isNoScript(new IllegalStateException("NOSCRIPT in a message"))).isFalse();
  }

  @Test
  void aMissingResourceIsAPackagingError() {
    assertThatThrownBy(() -> LuaScript.load(LuaScriptIT.class, "absent.lua"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("absent.lua is missing");
  }
}
