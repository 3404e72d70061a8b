import type { ConcurrencySlot } from './types.js';

export type SlotStore = Readonly<{
  /** Pushes the slot's expiry one TTL ahead; false when it is gone (expired or released). */
  refresh: () => Promise<boolean>;
  /** Removes the slot from the store. */
  free: () => Promise<void>;
}>;

/** Rejects a cap no configuration can produce: NaN would compare false and admit everyone. */
export function assertMax(max: number): void {
  if (Number.isNaN(max) || max < 0) throw new RangeError(`concurrency cap must be >= 0, got ${max}`);
}

/**
 * Keeps held concurrency slots alive. Every slot carries an expiry, so the slots of a crashed
 * instance free themselves; a live request longer than the TTL must not lose its slot, though,
 * or a client sending slow bodies could exceed the cap by outlasting it. So each held slot is
 * refreshed every third of the TTL until it is released (or close() is called).
 */
export class SlotKeeper {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ttlMs: number) {}

  hold(store: SlotStore): ConcurrencySlot {
    let released = false;
    const stop = (): void => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
    const timer = setInterval(() => {
      store.refresh().then(
        (alive) => {
          if (!alive) stop();
        },
        // A failed refresh is retried at the next tick; if the store stays down the slot expires.
        () => undefined,
      );
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    // A held slot must never keep the process alive on its own.
    timer.unref();
    this.timers.add(timer);
    return {
      ok: true,
      release: async () => {
        if (released) return;
        released = true;
        stop();
        await store.free();
      },
    };
  }

  /** Stops every refresh; the slots then expire after their TTL, as after a crash. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }
}
