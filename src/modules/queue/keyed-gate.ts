// A gate for work that is bounded twice: at most `perKey` at once for one key (one webhook
// endpoint) and `total` at once in all. Waiters are served first come, first served, skipping
// one whose key is full (so a slow key never holds up the others behind it). In process only:
// the bound across instances is the queue's (how many rows of a key may be leased).

export type KeyedGate = Readonly<{
  /** Resolves once a slot is free for `key`; call the returned function to free it, once. */
  enter(key: string): Promise<() => void>;
  /** Slots taken now, for `key` or in all. */
  inside(key?: string): number;
  /** Lets every waiter in at once, past the bounds: for waiters that will do no work (a stopping worker's). */
  admitAll(): void;
}>;

type Waiter = { key: string; admit(): void };

export function createKeyedGate(limits: { perKey: number; total: number }): KeyedGate {
  const byKey = new Map<string, number>();
  let total = 0;
  const waiting: Waiter[] = [];

  const fits = (key: string): boolean => total < limits.total && (byKey.get(key) ?? 0) < limits.perKey;
  const take = (key: string): (() => void) => {
    total++;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      total--;
      const left = byKey.get(key)! - 1;
      if (left === 0) byKey.delete(key);
      else byKey.set(key, left);
      admitWaiting();
    };
  };
  const admitWaiting = (): void => {
    for (let i = 0; i < waiting.length && total < limits.total; ) {
      const waiter = waiting[i]!;
      if (!fits(waiter.key)) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      waiter.admit();
    }
  };

  return {
    enter: (key) =>
      fits(key) && waiting.length === 0
        ? Promise.resolve(take(key))
        : new Promise((resolve) => {
            waiting.push({ key, admit: () => resolve(take(key)) });
            admitWaiting();
          }),
    inside: (key) => (key === undefined ? total : (byKey.get(key) ?? 0)),
    admitAll: () => {
      for (const waiter of waiting.splice(0)) waiter.admit();
    },
  };
}
