package io.cachepipe.core.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * A versioned JSON message type: encodes records of {@code T} and decodes bytes into them, checking
 * the schema version field {@code v}. Decoding failures are {@link MalformedMessageException}s
 * whose message is fit to be a dead-letter reason.
 *
 * <p>A well-formed message is read in one pass, straight into its record. Anything that pass does
 * not accept as exactly right (an error, another version, a number given as text) is read again the
 * careful way, through a tree, which says what is wrong; so the second pass decides every message
 * that is not plainly valid, and decoding judges a message exactly as before.
 *
 * @param <T> the record type of the message
 */
public final class JsonContract<T> {

  /** Name of the schema version field every cachepipe message carries. */
  public static final String VERSION_FIELD = "v";

  private final String name;
  private final int version;
  private final ToIntFunction<T> versionOf;
  private final ObjectReader reader;
  private final ObjectReader strictReader;
  private final ObjectWriter writer;

  /**
   * The shared mapper, except that no integer is coerced from text or a fraction: the one-pass read
   * must not accept {@code "v":"1"}, which the careful read refuses.
   */
  private static final ObjectMapper STRICT = strictMapper();

  /**
   * @param name what the message is, for error messages ("change event")
   * @param type its record type
   * @param version the major schema version this code reads and writes
   * @param versionOf the record's schema version field
   */
  public JsonContract(String name, Class<T> type, int version, ToIntFunction<T> versionOf) {
    this.name = Objects.requireNonNull(name, "name");
    this.version = version;
    this.versionOf = Objects.requireNonNull(versionOf, "versionOf");
    this.reader = Json.mapper().readerFor(type);
    this.strictReader = STRICT.readerFor(type);
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
   * Serializes {@code value} to UTF-8 JSON if that takes at most {@code maxBytes}; empty if it
   * would take more. Stops writing at the limit, so a value of any size costs at most {@code
   * maxBytes} of buffer.
   */
  public Optional<byte[]> encodeWithin(T value, int maxBytes) {
    BoundedOutput out = new BoundedOutput(maxBytes);
    try {
      writer.writeValue(out, value);
    } catch (IOException | RuntimeException e) {
      if (out.exceeded) {
        return Optional.empty();
      }
      throw new IllegalStateException("cannot encode " + name + ": " + e.getMessage(), e);
    }
    return out.exceeded ? Optional.empty() : Optional.of(out.toByteArray());
  }

  /** A byte buffer that refuses to grow past its limit. */
  private static final class BoundedOutput extends ByteArrayOutputStream {
    private final int limit;
    private boolean exceeded;

    BoundedOutput(int limit) {
      super(Math.min(limit, 8_192));
      this.limit = limit;
    }

    @Override
    public void write(int b) {
      check(1);
      super.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      check(len);
      super.write(b, off, len);
    }

    private void check(int more) {
      if (count + (long) more > limit) {
        exceeded = true;
        throw new UncheckedIOException(new IOException("more than " + limit + " bytes"));
      }
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
    try {
      T value = strictReader.readValue(bytes);
      if (value != null && versionOf.applyAsInt(value) == version) {
        return value;
      }
    } catch (IOException | RuntimeException e) {
      // the careful read below says what is wrong
    }
    return decodeCarefully(bytes);
  }

  private T decodeCarefully(byte[] bytes) {
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

  private static ObjectMapper strictMapper() {
    ObjectMapper mapper = Json.mapper().copy();
    mapper
        .coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    return mapper;
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
