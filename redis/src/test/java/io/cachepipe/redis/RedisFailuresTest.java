package io.cachepipe.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedisFailuresTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "WRONGTYPE Operation against a key holding the wrong kind of value script: 4f2e, on"
            + " @user_script:33.",
        "CROSSSLOT Keys in request don't hash to the same slot",
        "NOPERM User cachepipe has no permissions to run the 'evalsha' command",
        "ERR user_script:12: attempt to compare nil with number script: 4f2e",
      })
  void anErrorReplyNoRetryCuresIsPermanent(String reply) {
    assertThat(RedisFailures.isPermanent(new RedisCommandExecutionException(reply))).isTrue();
    assertThat(
            RedisFailures.isPermanent(
                new ExecutionException(new RedisCommandExecutionException(reply))))
        .as("as a future throws it")
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "LOADING Redis is loading the dataset in memory",
        "BUSY Redis is busy running a script",
        "TRYAGAIN Multiple keys request during rehashing of slot",
        "CLUSTERDOWN The cluster is down",
        "MASTERDOWN Link with MASTER is down",
        "READONLY You can't write against a read only replica.",
        "OOM command not allowed when used memory > 'maxmemory'.",
        "MOVED 3999 127.0.0.1:6381",
        "NOSCRIPT No matching script. Please use EVAL.",
        "ERR max number of clients reached",
      })
  void anErrorReplyOfAServerNotReadyYetIsTransient(String reply) {
    assertThat(RedisFailures.isPermanent(new RedisCommandExecutionException(reply))).isFalse();
  }

  @Test
  void everyFailureThatIsNotAnErrorReplyIsTransient() {
    assertThat(RedisFailures.isPermanent(new RedisConnectionException("connection refused")))
        .isFalse();
    assertThat(RedisFailures.isPermanent(new RedisCommandTimeoutException("timed out"))).isFalse();
    assertThat(RedisFailures.isPermanent(new RedisException("Currently not connected"))).isFalse();
    assertThat(RedisFailures.isPermanent(new TimeoutException())).isFalse();
    assertThat(RedisFailures.isPermanent(new RedisLoadingException("LOADING"))).isFalse();
    assertThat(RedisFailures.isPermanent(new RedisBusyException("BUSY"))).isFalse();
    assertThat(RedisFailures.isPermanent(new RedisNoScriptException("NOSCRIPT"))).isFalse();
  }

  @Test
  void theReasonIsTheReplyOrTheFailuresType() {
    assertThat(
            RedisFailures.reason(
                new ExecutionException(new RedisCommandExecutionException("WRONGTYPE x"))))
        .isEqualTo("WRONGTYPE x");
    assertThat(RedisFailures.reason(new TimeoutException())).isEqualTo("TimeoutException");
  }
}
