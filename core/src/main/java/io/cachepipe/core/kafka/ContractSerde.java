package io.cachepipe.core.kafka;

import io.cachepipe.core.json.JsonContract;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serde for a {@link JsonContract}. Deserializing a malformed message throws {@link
 * io.cachepipe.core.json.MalformedMessageException}; stages that must dead-letter such messages
 * read raw bytes and decode themselves instead.
 */
public final class ContractSerde<T> implements Serde<T> {

  private final JsonContract<T> contract;

  public ContractSerde(JsonContract<T> contract) {
    this.contract = contract;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> value == null ? null : contract.encode(value);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> bytes == null ? null : contract.decode(bytes);
  }
}
