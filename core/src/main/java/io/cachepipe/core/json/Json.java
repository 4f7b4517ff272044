package io.cachepipe.core.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper of cachepipe. Every message and every cached value is JSON mapped to a known
 * type: no default typing, no polymorphic type ids taken from input, no Java serialization, so
 * whoever can write to Kafka or Redis cannot make a stage instantiate classes of their choosing.
 */
public final class Json {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          // Newer producers may add fields; readers of the same major version ignore them.
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .build();

  private Json() {}

  /** The shared, thread-safe mapper. Do not reconfigure it. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
