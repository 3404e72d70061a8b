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
   * For items nothing waits on at once: a write waits until `items` are waiting, or `ms` after
   * the first of them, so the same work takes fewer, larger writes. Without it, a write takes
   * what came in the current turn of the event loop, or while the previous write ran.
   */
  gather?: Readonly<{ items: number; ms: number }>;
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

  const { gather } = options;
  let timer: NodeJS.Timeout | undefined;
  /** The first waiting item has waited `gather.ms`: the next chance to write is taken. */
  let due = false;

  const flush = (): void => {
    if (writing || waiting.length === 0) return;
    clearTimeout(timer);
    timer = undefined;
    due = false;
    const group = waiting.slice(0, options.maxItems);
    waiting = waiting.slice(group.length);
    writing = writeAll(group).finally(() => {
      writing = undefined;
      if (gather) gathered();
      else flush();
    });
  };

  /** With `gather`: write now if enough items are waiting (or waited long enough), else wait for more. */
  const gathered = (): void => {
    if (waiting.length === 0 || !gather) return;
    if (!writing && (due || waiting.length >= gather.items)) return flush();
    // Counted from the first waiting item, even while a write runs: it goes out when that ends.
    timer ??= setTimeout(() => {
      timer = undefined;
      due = true;
      flush();
    }, gather.ms);
  };

  return {
    add: (item) =>
      new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (gather) return gathered();
        // setImmediate: the items handed in during this turn of the event loop join the write.
        if (!writing && waiting.length === 1) setImmediate(flush);
      }),
    drain: async () => {
      while (writing || waiting.length > 0) {
        // Nothing more is coming: what is gathering goes now.
        if (!writing) {
          due = true;
          flush();
        }
        await (writing ?? new Promise((resolve) => setImmediate(resolve)));
      }
    },
  };
}
