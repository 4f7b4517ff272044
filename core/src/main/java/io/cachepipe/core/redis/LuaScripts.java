package io.cachepipe.core.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Loads the Lua scripts that ship beside the classes that run them. */
public final class LuaScripts {

  private LuaScripts() {}

  /**
   * The text of {@code resource}, looked up relative to {@code owner}'s package.
   *
   * @throws IllegalStateException if the resource is missing (a packaging error)
   */
  public static String load(Class<?> owner, String resource) {
    try (InputStream in = owner.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the class path of " + owner);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
