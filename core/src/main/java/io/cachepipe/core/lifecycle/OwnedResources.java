package io.cachepipe.core.lifecycle;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * What an owner opened, to be closed together: newest first (a resource opened later may use one
 * opened before it), each one despite the failures of the others, and each failure handed to the
 * owner's handler instead of stopping the close.
 */
public final class OwnedResources implements AutoCloseable {

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final Consumer<Exception> onFailure;

  /** {@code onFailure} hears each resource's failure to close; the close goes on regardless. */
  public OwnedResources(Consumer<Exception> onFailure) {
    this.onFailure = onFailure;
  }

  /** Owns {@code resource} from now on, and returns it. */
  public synchronized <T extends AutoCloseable> T own(T resource) {
    resources.push(resource);
    return resource;
  }

  /** Closes everything owned, newest first; owning more afterwards starts a new set. */
  @Override
  public synchronized void close() {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        onFailure.accept(e);
      }
    }
  }
}
