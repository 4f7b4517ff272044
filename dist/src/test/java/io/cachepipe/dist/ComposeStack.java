package io.cachepipe.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docker-compose.yml read as Docker would run it, for a machine without Docker: each service's
 * command and environment, with the names and paths of the containers mapped to this machine's (a
 * service's {@code host:port} to a local server's address, a mounted file or directory and a secret
 * to the repository's file, the image's {@code /opt/cachepipe} to the unpacked archive), and
 * Compose's {@code $$} unescaped.
 */
final class ComposeStack {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern ENTRYPOINT = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*\\])\\s*$");
  private static final Pattern INSTALL_DIR = Pattern.compile("(?m)^COPY --from=\\S+ \\S+ (\\S+)$");

  private final Path root;
  private final JsonNode compose;
  private final Map<String, String> replacements = new LinkedHashMap<>();

  private ComposeStack(Path root, JsonNode compose) {
    this.root = root;
    this.compose = compose;
  }

  /** The stack of {@code root}/docker-compose.yml. */
  static ComposeStack read(Path root) throws IOException {
    return new ComposeStack(root, YAML.readTree(root.resolve("docker-compose.yml").toFile()));
  }

  /** A service's definition. */
  JsonNode service(String name) {
    JsonNode service = compose.path("services").path(name);
    if (service.isMissingNode()) {
      throw new IllegalArgumentException("docker-compose.yml has no service " + name);
    }
    return service;
  }

  /** The container port of {@code service}'s first published port ({@code "5432:5432"}). */
  int containerPort(String service) {
    String published = service(service).path("ports").get(0).asText();
    return Integer.parseInt(published.substring(published.lastIndexOf(':') + 1));
  }

  /** From now on, {@code service:containerPort} is {@code address} (host:port) here. */
  void mapAddress(String service, String address) {
    replacements.put(service + ":" + containerPort(service), address);
  }

  /** Maps the volumes and secrets {@code service} mounts to the repository's files. */
  void mapMounts(String service) {
    for (JsonNode volume : service(service).path("volumes")) {
      String[] parts = volume.asText().split(":");
      replacements.put(parts[1], root.resolve(parts[0]).normalize().toString());
    }
    for (JsonNode secret : service(service).path("secrets")) {
      String file = compose.path("secrets").path(secret.asText()).path("file").asText();
      replacements.put(
          "/run/secrets/" + secret.asText(), root.resolve(file).normalize().toString());
    }
  }

  /** The entry point of the image {@code service} builds, with the image's install dir mapped. */
  List<String> entrypoint(String service, Path installed) throws IOException {
    String context = service(service).path("build").asText();
    String dockerfile = Files.readString(root.resolve(context).resolve("Dockerfile"));
    Matcher entry = ENTRYPOINT.matcher(dockerfile);
    Matcher install = INSTALL_DIR.matcher(dockerfile);
    if (!entry.find() || !install.find()) {
      throw new IllegalStateException("the Dockerfile has no ENTRYPOINT [...] or COPY --from");
    }
    replacements.put(install.group(1), installed.toString());
    List<String> command = new ArrayList<>();
    YAML.readTree(entry.group(1)).forEach(word -> command.add(local(word.asText())));
    return command;
  }

  /** {@code service}'s command, each word mapped. */
  List<String> command(String service) {
    List<String> command = new ArrayList<>();
    service(service).path("command").forEach(word -> command.add(local(word.asText())));
    return command;
  }

  /** {@code service}'s environment, each value mapped. */
  Map<String, String> environment(String service) {
    Map<String, String> env = new LinkedHashMap<>();
    service(service)
        .path("environment")
        .fields()
        .forEachRemaining(e -> env.put(e.getKey(), local(e.getValue().asText())));
    return env;
  }

  /** The postgres image's server settings: the {@code -c name=value} of its command. */
  Map<String, String> postgresSettings(String service) {
    Map<String, String> settings = new LinkedHashMap<>();
    JsonNode command = service(service).path("command");
    for (int i = 0; i + 1 < command.size(); i++) {
      if (command.get(i).asText().equals("-c")) {
        String[] setting = command.get(i + 1).asText().split("=", 2);
        settings.put(setting[0], setting[1]);
      }
    }
    return settings;
  }

  /** {@code text} as it reads on this machine: names and paths mapped, {@code $$} unescaped. */
  String local(String text) {
    String out = text.replace("$$", "$");
    List<String> keys = new ArrayList<>(replacements.keySet());
    keys.sort(Comparator.comparingInt(String::length).reversed());
    for (String key : keys) {
      out = out.replace(key, replacements.get(key));
    }
    return out;
  }
}
