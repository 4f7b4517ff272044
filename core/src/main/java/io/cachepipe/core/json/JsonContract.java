package io.cachepipe.core.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.util.Objects;

/**
 * A versioned JSON message type: encodes records of {@code T} and decodes bytes into them, checking
 * the schema version field {@code v}. Decoding failures are {@link MalformedMessageException}s
 * whose message is fit to be a dead-letter reason.
 *
 * @param <T> the record type of the message
 */
public final class JsonContract<T> {

  /** Name of the schema version field every cachepipe message carries. */
  public static final String VERSION_FIELD = "v";

  private final String name;
  private final int version;
  private final ObjectReader reader;
  private final ObjectWriter writer;

  /**
   * @param name what the message is, for error messages ("change event")
   * @param type its record type
   * @param version the major schema version this code reads and writes
   */
  public JsonContract(String name, Class<T> type, int version) {
    this.name = Objects.requireNonNull(name, "name");
    this.version = version;
    this.reader = Json.mapper().readerFor(type);
    this.writer = Json.mapper().writerFor(type);
  }

  public int version() {
    return version;
  }

  /** Serializes {@code value} to UTF-8 JSON. */
  public byte[] encode(T value) {
    try {
      return writer.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + name + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses {@code bytes} as this contract's message.
   *
   * @throws MalformedMessageException if the bytes are null, not JSON, of another schema version,
   *     or miss a required field
   */
  public T decode(byte[] bytes) {
    if (bytes == null) {
      throw new MalformedMessageException(name + ": empty message (null value)");
    }
    JsonNode tree;
    try {
      tree = Json.mapper().readTree(bytes);
    } catch (IOException e) {
      throw new MalformedMessageException(name + ": not JSON: " + firstLine(e), e);
    }
    if (tree == null || !tree.isObject()) {
      throw new MalformedMessageException(name + ": expected a JSON object");
    }
    JsonNode v = tree.get(VERSION_FIELD);
    if (v == null || !v.isIntegralNumber()) {
      throw new MalformedMessageException(name + ": missing schema version field 'v'");
    }
    if (v.intValue() != version) {
      throw new MalformedMessageException(
          name
              + ": schema version "
              + v.intValue()
              + " is not supported (expected "
              + version
              + ")");
    }
    try {
      return reader.readValue(tree);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new MalformedMessageException(name + ": " + cause.getMessage(), e);
    } catch (JsonMappingException e) {
      throw new MalformedMessageException(name + ": " + fieldOf(e) + firstLine(e), e);
    } catch (IOException e) {
      throw new MalformedMessageException(name + ": " + firstLine(e), e);
    }
  }

  /** "field 'lsn': " for an error at a known field, else nothing. */
  private static String fieldOf(JsonMappingException e) {
    String path =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(java.util.stream.Collectors.joining("."));
    return path.isEmpty() ? "" : "field '" + path + "': ";
  }

  private static String firstLine(IOException e) {
    String message =
        e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
