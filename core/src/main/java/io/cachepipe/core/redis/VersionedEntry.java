package io.cachepipe.core.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.cachepipe.core.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * A cached entry as Redis Cluster mode stores it: the value together with the version keys it was
 * filled against and the versions read from them before the value was loaded. In a cluster an entry
 * and its tags' versions live in different slots, so no script can check them and write atomically;
 * instead a read compares the versions carried here with the current ones and treats any difference
 * as a miss. So an entry whose fill slipped past an eviction is never served.
 *
 * <p>Stored as one JSON object: {@code {"k":["cp:tag:{user:42}:v"],"v":["3"],"d":<the value>}}
 * ({@code k} the version keys, {@code v} their versions, "0" for one never bumped, {@code d} the
 * value's own JSON). Standalone mode stores the value's JSON alone.
 *
 * @param versionKeys the version keys, in order
 * @param versions the versions read from them, in the same order
 * @param value the cached value
 */
public record VersionedEntry(List<String> versionKeys, List<String> versions, JsonNode value) {

  private static final ObjectMapper MAPPER = Json.mapper();

  public VersionedEntry {
    versionKeys = List.copyOf(versionKeys);
    versions = List.copyOf(versions);
    if (versionKeys.size() != versions.size()) {
      throw new IllegalArgumentException("one version per version key");
    }
  }

  /**
   * The stored form of {@code valueJson} filled against {@code versions} of {@code versionKeys}.
   */
  public static String encode(List<String> versionKeys, List<String> versions, String valueJson) {
    if (versionKeys.size() != versions.size()) {
      throw new IllegalArgumentException("one version per version key");
    }
    try {
      return "{\"k\":"
          + MAPPER.writeValueAsString(versionKeys)
          + ",\"v\":"
          + MAPPER.writeValueAsString(versions)
          + ",\"d\":"
          + valueJson
          + "}";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a list of strings is always JSON", e);
    }
  }

  /**
   * Reads a stored entry.
   *
   * @throws IllegalArgumentException if {@code stored} is not an entry of this form (a value cached
   *     in standalone mode, or by something else)
   */
  public static VersionedEntry decode(String stored) {
    JsonNode root;
    try {
      root = MAPPER.readTree(stored);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null
        || !root.isObject()
        || !root.path("k").isArray()
        || !root.path("v").isArray()
        || !root.has("d")) {
      throw new IllegalArgumentException(
          "not a versioned entry: expected {\"k\":[..],\"v\":[..],\"d\":..}");
    }
    return new VersionedEntry(
        strings((ArrayNode) root.get("k")), strings((ArrayNode) root.get("v")), root.get("d"));
  }

  private static List<String> strings(ArrayNode array) {
    List<String> out = new ArrayList<>(array.size());
    array.forEach(item -> out.add(item.asText()));
    return out;
  }

  /**
   * Whether {@code current}, the versions now stored under {@link #versionKeys()} (null for a key
   * that does not exist, which reads as "0"), equal those this entry was filled against.
   */
  public boolean isCurrent(List<String> current) {
    if (current.size() != versions.size()) {
      return false;
    }
    for (int i = 0; i < versions.size(); i++) {
      String now = current.get(i) == null ? "0" : current.get(i);
      if (!now.equals(versions.get(i))) {
        return false;
      }
    }
    return true;
  }
}
