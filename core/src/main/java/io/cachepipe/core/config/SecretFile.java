package io.cachepipe.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A secret kept in a file rather than in configuration, command lines or the environment: a
 * Kubernetes Secret or a Compose secret mounted as a file, a file readable by its owner only. A
 * final line break is not part of the secret ({@code echo secret > file} adds one).
 */
public final class SecretFile {

  private SecretFile() {}

  /**
   * The value of {@code value} if it is set and not empty, else the content of the file that {@code
   * file} names, else empty.
   *
   * @throws ConfigException naming {@code file} and its path, never its content, if it cannot be
   *     read
   */
  public static String valueOrFile(
      Settings settings, ConfigField<String> value, ConfigField<String> file) {
    String given = settings.get(value);
    if (!given.isEmpty()) {
      return given;
    }
    String path = settings.get(file);
    return path.isEmpty() ? "" : read(file.name(), Path.of(path));
  }

  /**
   * The content of {@code path}, without a final line break.
   *
   * @param key what names the file, for the message
   * @throws ConfigException if it cannot be read
   */
  public static String read(String key, Path path) {
    try {
      String content = Files.readString(path, StandardCharsets.UTF_8);
      if (content.endsWith("\n")) {
        content = content.substring(0, content.length() - 1);
      }
      if (content.endsWith("\r")) {
        content = content.substring(0, content.length() - 1);
      }
      return content;
    } catch (IOException e) {
      throw new ConfigException(
          key
              + ": cannot read the secret file "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }
}
