package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cachepipe.sidecar.admin.AdminConfig;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes, checked offline: the sidecar's probes, ports, configuration keys, environment
 * variables, mounts and secret references against cachepipe's own key list; then its configuration
 * run through {@code config --print} as the pod would run it, beside the variables Kubernetes
 * injects for a Service named cachepipe (which stopped the sidecar as an unknown key).
 */
class KubernetesManifestsIT {

  private static final Path MANIFESTS = Path.of("..", "deploy", "kubernetes");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final Map<String, JsonNode> byKind = new HashMap<>();
  private static JsonNode pod;
  private static JsonNode sidecar;
  private static Properties properties;

  @TempDir Path dir;

  @BeforeAll
  static void readManifests() throws IOException {
    List<String> listed = new ArrayList<>();
    YAML.readTree(MANIFESTS.resolve("kustomization.yaml").toFile())
        .path("resources")
        .forEach(r -> listed.add(r.asText()));
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      assertThat(listed)
          .as("kustomization.yaml lists every manifest")
          .containsExactlyInAnyOrderElementsOf(
              files
                  .map(f -> f.getFileName().toString())
                  .filter(n -> !n.equals("kustomization.yaml"))
                  .toList());
    }
    for (String file : listed) {
      JsonNode manifest = YAML.readTree(MANIFESTS.resolve(file).toFile());
      byKind.put(manifest.path("kind").asText(), manifest);
    }
    pod = byKind.get("Deployment").path("spec").path("template").path("spec");
    sidecar = container("cachepipe");
    properties = new Properties();
    properties.load(
        new StringReader(
            byKind.get("ConfigMap").path("data").path("cachepipe.properties").asText()));
  }

  @Test
  void theApplicationAndCachepipeShareThePodAndTheProbesAskTheAdminPort() {
    assertThat(container("app").isMissingNode()).as("the application's container").isFalse();
    int adminPort = Integer.parseInt(properties.getProperty(AdminConfig.PORT.name(), "9400"));
    int containerPort = port(sidecar, "admin");

    assertThat(containerPort).isEqualTo(adminPort);
    assertThat(sidecar.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
    assertThat(sidecar.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      assertThat(sidecar.path(probe).at("/httpGet/port").asText()).as(probe).isEqualTo("admin");
      // Kubernetes' default is 1 s: a full GC pause or a busy node would restart a healthy pod.
      assertThat(sidecar.path(probe).path("timeoutSeconds").asInt(1))
          .as("%s timeoutSeconds", probe)
          .isGreaterThanOrEqualTo(2);
    }
    JsonNode service = byKind.get("Service");
    assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("admin");
    assertThat(service.at("/spec/selector").toString())
        .isEqualTo(byKind.get("Deployment").at("/spec/template/metadata/labels").toString());
  }

  @Test
  void everyKeyAndVariableIsOneCachepipeKnowsAndEveryFileIsMounted() {
    for (String key : properties.stringPropertyNames()) {
      assertThat(SidecarConfig.isKey(key)).as("%s is a configuration key", key).isTrue();
    }
    for (JsonNode env : sidecar.path("env")) {
      String name = env.path("name").asText();
      assertThat(
              SidecarConfig.isKey(name.toLowerCase(Locale.ROOT).replace('_', '.'))
                  || List.of("CACHEPIPE_OPTS", "CACHEPIPE_LOG_FORMAT", "CACHEPIPE_LOG_LEVEL")
                      .contains(name))
          .as("%s names a key or a variable cachepipe reads", name)
          .isTrue();
      JsonNode ref = env.at("/valueFrom/secretKeyRef");
      if (!ref.isMissingNode()) {
        assertThat(secretKeys()).contains(ref.path("key").asText());
      }
    }
    for (String file : filesNamedByTheConfiguration()) {
      assertThat(mountedFiles()).as("%s is mounted", file).containsKey(file);
    }
    assertThat(properties.getProperty(AdminConfig.HOST.name())).isEqualTo("0.0.0.0");
    assertThat(properties.getProperty(AdminConfig.TOKEN_FILE.name())).isNotBlank();
  }

  @Test
  void thePodsConfigurationIsValidBesideAServiceNamedCachepipe() throws Exception {
    Path config = dir.resolve("cachepipe.properties");
    String text = byKind.get("ConfigMap").path("data").path("cachepipe.properties").asText();
    Map<String, Path> mounted = new LinkedHashMap<>();
    for (Map.Entry<String, String> file : mountedFiles().entrySet()) {
      Path local = dir.resolve(file.getValue());
      Files.writeString(local, secretValue(file.getValue()));
      mounted.put(file.getKey(), local);
    }
    for (Map.Entry<String, Path> file : mounted.entrySet()) {
      text = text.replace(file.getKey(), file.getValue().toString());
    }
    Files.writeString(config, text);
    Map<String, String> env = new HashMap<>(serviceVariables());
    for (JsonNode variable : sidecar.path("env")) {
      JsonNode ref = variable.at("/valueFrom/secretKeyRef");
      env.put(
          variable.path("name").asText(),
          ref.isMissingNode()
              ? variable.path("value").asText()
              : secretValue(ref.path("key").asText()));
    }

    SidecarProcess.Result r =
        SidecarProcess.run(dir, env, WAIT, "config", "--print", "--config", config.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("env      cachepipe.redis.password=********")
        .contains("file     cachepipe.admin.token.file=" + dir)
        .doesNotContain("change-me", "S3cr3t-k8s");
    assertThat(r.err().lines().filter(l -> l.contains("CACHEPIPE_PORT ")))
        .as("one warning for CACHEPIPE_PORT")
        .hasSize(1);
    assertThat(r.err()).doesNotContain("change-me", "S3cr3t-k8s");
  }

  /**
   * The measurement: {@code config --print --config cachepipe.example.properties} with the
   * two variables of a Service named cachepipe exited 2 ("cachepipe.port: unknown key").
   */
  @Test
  void theExampleConfigurationRunsInANamespaceWithAServiceNamedCachepipe() throws Exception {
    SidecarProcess.Result r =
        SidecarProcess.run(
            dir,
            Map.of("CACHEPIPE_PORT", "tcp://10.0.0.7:9400", "CACHEPIPE_SERVICE_HOST", "10.0.0.7"),
            WAIT,
            "config",
            "--print",
            "--config",
            Path.of("..", "cachepipe.example.properties").toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).doesNotContain("cachepipe.port", "cachepipe.service.host");
    assertThat(r.err())
        .contains("environment variable CACHEPIPE_PORT names no configuration key: ignored")
        .contains("environment variable CACHEPIPE_SERVICE_HOST names no configuration key");
  }

  @Test
  void anUnknownKeyInAFileStaysFatal() throws Exception {
    Path config = dir.resolve("typo.properties");
    Files.writeString(config, "cachepipe.port=9400\n");

    SidecarProcess.Result r =
        SidecarProcess.run(dir, Map.of(), WAIT, "config", "--print", "--config", config.toString());

    assertThat(r.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.err()).contains("cachepipe.port: unknown key");
  }

  /** What Kubernetes sets in every pod of the namespace for the Service of service.yaml. */
  private static Map<String, String> serviceVariables() {
    JsonNode service = byKind.get("Service");
    String prefix =
        service.at("/metadata/name").asText().toUpperCase(Locale.ROOT).replace('-', '_');
    int port = service.at("/spec/ports/0/port").asInt();
    String ip = "10.0.0.7";
    Map<String, String> env = new HashMap<>();
    env.put(prefix + "_SERVICE_HOST", ip);
    env.put(prefix + "_SERVICE_PORT", Integer.toString(port));
    env.put(prefix + "_SERVICE_PORT_ADMIN", Integer.toString(port));
    env.put(prefix + "_PORT", "tcp://" + ip + ":" + port);
    env.put(prefix + "_PORT_" + port + "_TCP", "tcp://" + ip + ":" + port);
    env.put(prefix + "_PORT_" + port + "_TCP_PROTO", "tcp");
    env.put(prefix + "_PORT_" + port + "_TCP_PORT", Integer.toString(port));
    env.put(prefix + "_PORT_" + port + "_TCP_ADDR", ip);
    return env;
  }

  /** Paths the configuration names under a mounted directory. */
  private static List<String> filesNamedByTheConfiguration() {
    List<String> files = new ArrayList<>();
    for (String key : properties.stringPropertyNames()) {
      String value = properties.getProperty(key);
      if (key.endsWith(".file")) {
        files.add(value);
      }
      int at = value.indexOf("sslrootcert=");
      if (at >= 0) {
        files.add(value.substring(at + "sslrootcert=".length()).split("&")[0]);
      }
    }
    return files;
  }

  /** Each file the sidecar gets from the Secret: its path in the container, and its key. */
  private static Map<String, String> mountedFiles() {
    Map<String, String> files = new LinkedHashMap<>();
    for (JsonNode mount : sidecar.path("volumeMounts")) {
      for (JsonNode volume : pod.path("volumes")) {
        if (volume.path("name").equals(mount.path("name")) && volume.has("secret")) {
          assertThat(volume.at("/secret/secretName").asText())
              .isEqualTo(byKind.get("Secret").at("/metadata/name").asText());
          for (JsonNode item : volume.at("/secret/items")) {
            assertThat(secretKeys()).contains(item.path("key").asText());
            files.put(
                mount.path("mountPath").asText() + "/" + item.path("path").asText(),
                item.path("key").asText());
          }
        }
      }
    }
    return files;
  }

  private static List<String> secretKeys() {
    List<String> keys = new ArrayList<>();
    byKind.get("Secret").path("stringData").fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  /** A value for a Secret's key: recognisable, and never the placeholder. */
  private static String secretValue(String key) {
    return key.endsWith(".pem")
        ? byKind.get("Secret").path("stringData").path(key).asText()
        : "S3cr3t-k8s-" + key;
  }

  private static JsonNode container(String name) {
    for (JsonNode c : pod.path("containers")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static int port(JsonNode container, String name) {
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no port named " + name);
  }
}
