// Group commit for small writes (the outcomes of delivery attempts): items handed in while a
// write is in flight go out together in the next one, so under load one statement (and one
// commit) serves many items, and a lone item waits for nothing. When a write of several items
// fails, each is written again alone, so only an item at fault fails.

export type Batcher<I, R> = Readonly<{
  /** Resolves with the item's result once its write has committed. */
  add(item: I): Promise<R>;
  /** Resolves once every item handed in has been written. */
  drain(): Promise<void>;
}>;

type Pending<I, R> = { item: I; resolve(result: R): void; reject(error: unknown): void };

export type BatcherOptions = Readonly<{
  maxItems: number;
  /**
   * How long a write waits for more items after the first (0: the current turn of the event loop
   * only). For items nothing waits on at once: fewer, larger writes for the same work.
   */
  gatherMs?: number;
}>;

/** `write` returns one result per item, in order. */
export function createBatcher<I, R>(write: (items: readonly I[]) => Promise<R[]>, options: BatcherOptions): Batcher<I, R> {
  let waiting: Pending<I, R>[] = [];
  let writing: Promise<void> | undefined;

  const writeAll = async (group: Pending<I, R>[]): Promise<void> => {
    try {
      const results = await write(group.map((p) => p.item));
      group.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      for (const p of group) {
        await write([p.item]).then(
          (results) => p.resolve(results[0]!),
          (alone: unknown) => p.reject(alone),
        );
      }
    }
  };

  const flush = (): void => {
    if (writing || waiting.length === 0) return;
    const group = waiting.slice(0, options.maxItems);
    waiting = waiting.slice(group.length);
    writing = writeAll(group).finally(() => {
      writing = undefined;
      flush();
    });
  };

  return {
    add: (item) =>
      new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        // setImmediate: the items handed in during this turn of the event loop join the write.
        if (writing || waiting.length !== 1) return;
        if (options.gatherMs) setTimeout(flush, options.gatherMs);
        else setImmediate(flush);
      }),
    drain: async () => {
      while (writing || waiting.length > 0) await (writing ?? new Promise((resolve) => setImmediate(resolve)));
    },
  };
}
