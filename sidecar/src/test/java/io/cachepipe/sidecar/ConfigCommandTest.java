package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cachepipe config}: the effective configuration with its sources, and the reference. */
class ConfigCommandTest {

  @TempDir Path dir;

  private Path file(String... lines) throws Exception {
    Path file = dir.resolve("cachepipe.properties");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void printShowsEveryKnownKeyWithItsSourceAndSecretsMasked() throws Exception {
    Path config =
        file(
            "cachepipe.postgres.url=jdbc:postgresql://db:5432/shop?password=S3cr3t-pg-XYZ",
            "cachepipe.postgres.password=S3cr3t-pg-XYZ",
            "cachepipe.redis.uri=rediss://app:S3cr3t-redis-XYZ@cache:6380/1",
            "cachepipe.redis.password=S3cr3t-redis-XYZ",
            "kafka.sasl.jaas.config=PlainLoginModule required username=\"u\" password=\"S3cr3t-k\";",
            "kafka.ssl.key.password=S3cr3t-k",
            "kafka.security.protocol=SASL_SSL",
            "cachepipe.topic.partitions=12");

    CliRun r = CliRun.of(Main.commandLine(), "config", "--print", "--config", config.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    for (ConfigField<?> field : SidecarConfig.allFields()) {
      assertThat(r.out()).contains(" " + field.name() + "=");
    }
    assertThat(r.out().lines())
        .contains(
            "file     cachepipe.topic.partitions=12",
            "default  cachepipe.topic.replication.factor=1",
            "file     cachepipe.postgres.password=********",
            "file     cachepipe.postgres.url=jdbc:postgresql://db:5432/shop?password=********",
            "file     cachepipe.redis.uri=rediss://app:********@cache:6380/1",
            "file     cachepipe.redis.password=********",
            "file     kafka.sasl.jaas.config=********",
            "file     kafka.ssl.key.password=********",
            "file     kafka.security.protocol=SASL_SSL");
    assertThat(r.out()).doesNotContain("S3cr3t");
  }

  @Test
  void printOfAConfigurationRunWouldRefuseListsItThenFailsNamingTheClosestKey() throws Exception {
    Path config = file("cachepipe.redis.urii=redis://r:6379");

    CliRun r = CliRun.of(Main.commandLine(), "config", "--print", "--config", config.toString());

    assertThat(r.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.out()).contains("file     cachepipe.redis.urii=redis://r:6379");
    assertThat(r.err())
        .isEqualTo(
            "cachepipe: configuration error: cachepipe.redis.urii: unknown key; did you mean"
                + " cachepipe.redis.uri?"
                + System.lineSeparator());
  }

  @Test
  void describeListsEveryKeyWithTypeDefaultAndDescription() {
    CliRun r = CliRun.of(Main.commandLine(), "config", "--describe");

    assertThat(r.exit()).isZero();
    for (ConfigField<?> field : SidecarConfig.allFields()) {
      assertThat(r.out()).contains(field.name() + "\n").contains(field.description());
    }
    assertThat(r.out())
        .contains("    an integer from 1 to 10000; default: 6")
        .contains("    a text (secret, masked when printed); default: (empty)")
        .contains("kafka.security.*, kafka.sasl.*, kafka.ssl.*");
  }

  @Test
  void printAndDescribeExcludeEachOther() {
    CliRun r = CliRun.of(Main.commandLine(), "config", "--print", "--describe");

    assertThat(r.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("mutually exclusive");
  }
}
