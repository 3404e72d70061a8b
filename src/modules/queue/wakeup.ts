/**
 * Tells this process's workers that rows were just committed to their queue, so they need not
 * wait for their next poll. Workers of other instances find them at their own poll.
 */
export type Wakeup = Readonly<{
  wake(): void;
  /** Returns the function that unsubscribes `listener`. */
  onWake(listener: () => void): () => void;
}>;

export function createWakeup(): Wakeup {
  const listeners = new Set<() => void>();
  return Object.freeze({
    wake: () => {
      for (const listener of listeners) listener();
    },
    onWake: (listener: () => void) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  });
}
