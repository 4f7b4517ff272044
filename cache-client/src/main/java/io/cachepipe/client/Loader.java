package io.cachepipe.client;

/**
 * Loads a value from the source of truth on a cache miss.
 *
 * @param <T> the value's type
 */
@FunctionalInterface
public interface Loader<T> {

  /** The current value, or null if there is none (null is not cached). */
  T load() throws Exception;
}
