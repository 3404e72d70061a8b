import { systemClock, type Clock } from '../../lib/clock.js';
import { BoundedMap } from './bounded-map.js';
import { failureStatus } from './failure-status.js';
import { assertRate, gcra, gcraParams, toDecision, UNLIMITED } from './gcra.js';
import { assertMax } from './slot-keeper.js';
import {
  DEFAULT_FAILURE_POLICY,
  DEFAULT_SLOT_TTL_MS,
  type ConcurrencyLimiter,
  type ConcurrencySlot,
  type FailureCounter,
  type FailurePolicy,
  type FailureStatus,
  type RateLimiter,
} from './types.js';

// Per-process limits: the default without REDIS_URL, and the fallback while Redis is down.
// No timers sweep these maps (nothing here keeps the process alive): stale entries are dropped
// lazily, on access and when a map reaches its ceiling.

const DEFAULT_MAX_KEYS = 100_000;

export type MemoryOptions = Readonly<{
  clock?: Clock;
  /** Ceiling on distinct keys held per limiter. */
  maxKeys?: number;
}>;

export function createMemoryRateLimiter(options: MemoryOptions = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const nowUs = (): number => Math.round(clock.nowMs() * 1000);
  // key -> theoretical arrival time (epoch us); stale once it is in the past (bucket full).
  const tats = new BoundedMap<number>(options.maxKeys ?? DEFAULT_MAX_KEYS, (tat) => tat <= nowUs());
  return {
    consume: (key, perSecond) => {
      if (perSecond === Number.POSITIVE_INFINITY) return UNLIMITED;
      assertRate(perSecond);
      const params = gcraParams(perSecond);
      const outcome = gcra(tats.get(key), nowUs(), params);
      if (outcome.allowed) tats.set(key, outcome.newTatUs);
      return toDecision(params.limit, outcome);
    },
  };
}

export type MemoryConcurrencyOptions = MemoryOptions & Readonly<{ slotTtlMs?: number }>;

export function createMemoryConcurrencyLimiter(options: MemoryConcurrencyOptions = {}): ConcurrencyLimiter {
  const clock = options.clock ?? systemClock;
  const ttlMs = options.slotTtlMs ?? DEFAULT_SLOT_TTL_MS;
  // key -> how many slots it holds. Held slots are refreshed together by one timer, so they all
  // expire together, a TTL after the last refresh: a count, not one entry per slot, is enough.
  // A count back at zero stays in the map for the key's next request (not deleted and made again
  // on every request); it is stale, so the map sweeps it at its ceiling.
  const byKey = new BoundedMap<HeldSlots>(options.maxKeys ?? DEFAULT_MAX_KEYS, (slots) => expired(slots, clock.nowMs()));
  // The counts the timer refreshes: those holding slots, and those that held some since its last
  // run. A count leaves the set when the timer finds it at zero, not at each release: a client
  // whose requests come one at a time would otherwise leave and rejoin it on every request.
  const refreshed = new Set<HeldSlots>();
  const timer = setInterval(() => {
    const expiry = clock.nowMs() + ttlMs;
    for (const slots of refreshed) {
      if (slots.held > 0) slots.expiresAtMs = expiry;
      else refreshed.delete(slots);
    }
  }, Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    acquire: (key, max) => {
      assertMax(max);
      const now = clock.nowMs();
      let slots = byKey.get(key);
      if (!slots || (slots.held > 0 && slots.expiresAtMs <= now)) {
        // New, or held slots never released nor refreshed (refreshes stopped): a fresh count, and
        // the expired slots' releases now count against the replaced one, freeing nothing.
        if (slots) refreshed.delete(slots);
        byKey.set(key, (slots = { held: 0, expiresAtMs: 0 }));
      }
      if (slots.held >= max) return REFUSED;
      slots.held += 1;
      slots.expiresAtMs = now + ttlMs;
      refreshed.add(slots);
      return new MemorySlot(slots);
    },
    // Stops the refreshes: held slots then expire after their TTL, as after a crash.
    close: async () => {
      clearInterval(timer);
      refreshed.clear();
    },
  };
}

const REFUSED = Object.freeze({ ok: false as const });

/** A key's slots in process. */
type HeldSlots = { held: number; expiresAtMs: number };

function expired(slots: HeldSlots, nowMs: number): boolean {
  return slots.held === 0 || slots.expiresAtMs <= nowMs;
}

/** A slot held in process: a small object, not a closure per request (this is the hot path). */
class MemorySlot implements ConcurrencySlot {
  readonly ok = true;
  private released = false;

  constructor(private readonly slots: HeldSlots) {}

  release(): void {
    if (this.released) return; // idempotent
    this.released = true;
    this.slots.held -= 1;
  }
}

export type MemoryFailureOptions = MemoryOptions & Readonly<{ policy?: FailurePolicy }>;

type FailureWindow = { count: number; endsAtMs: number };

export function createMemoryFailureCounter(options: MemoryFailureOptions = {}): FailureCounter {
  const clock = options.clock ?? systemClock;
  const policy = options.policy ?? DEFAULT_FAILURE_POLICY;
  const windows = new BoundedMap<FailureWindow>(options.maxKeys ?? DEFAULT_MAX_KEYS, (w) => w.endsAtMs <= clock.nowMs());
  const current = (ip: string): FailureWindow | undefined => {
    const window = windows.get(ip);
    if (window && window.endsAtMs <= clock.nowMs()) {
      windows.delete(ip);
      return undefined;
    }
    return window;
  };
  const status = (window: FailureWindow | undefined): FailureStatus =>
    failureStatus(window?.count ?? 0, (window?.endsAtMs ?? 0) - clock.nowMs(), policy);
  return {
    isBlocked: async (ip) => status(current(ip)),
    recordFailure: async (ip) => {
      // The window starts at the first failure and is not extended by later ones.
      const window = current(ip) ?? { count: 0, endsAtMs: clock.nowMs() + policy.windowSeconds * 1000 };
      window.count += 1;
      windows.set(ip, window);
      return status(window);
    },
  };
}
