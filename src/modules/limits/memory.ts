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
  // key -> (slot id -> expiry epoch ms). Slot ids are a counter: cheap, and unique in-process.
  const slotsByKey = new BoundedMap<Map<number, number>>(options.maxKeys ?? DEFAULT_MAX_KEYS, (slots) =>
    liveCount(slots, clock.nowMs()) === 0,
  );
  // Held slots, refreshed together by one timer (not one per request: this is the hot path).
  const held = new Map<number, Map<number, number>>();
  let nextId = 0;
  const timer = setInterval(() => {
    const expiry = clock.nowMs() + ttlMs;
    for (const [id, slots] of held) if (slots.has(id)) slots.set(id, expiry);
  }, Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  const slotFor = (key: string, max: number): ConcurrencySlot | Readonly<{ ok: false }> => {
    assertMax(max);
    const slots = slotsByKey.get(key) ?? new Map<number, number>();
    if (liveCount(slots, clock.nowMs()) >= max) return REFUSED;
    const id = ++nextId;
    slots.set(id, clock.nowMs() + ttlMs);
    slotsByKey.set(key, slots);
    held.set(id, slots);
    return new MemorySlot(id, key, slots, held, slotsByKey);
  };
  return {
    acquire: slotFor,
    // Stops the refreshes: held slots then expire after their TTL, as after a crash.
    close: async () => {
      clearInterval(timer);
      held.clear();
    },
  };
}

const REFUSED = Object.freeze({ ok: false as const });

/** A slot held in process: a small object, not a closure per request (this is the hot path). */
class MemorySlot implements ConcurrencySlot {
  readonly ok = true;

  constructor(
    private readonly id: number,
    private readonly key: string,
    private readonly slots: Map<number, number>,
    private readonly held: Map<number, Map<number, number>>,
    private readonly slotsByKey: BoundedMap<Map<number, number>>,
  ) {}

  release(): void {
    if (!this.held.delete(this.id)) return; // released already: idempotent
    this.slots.delete(this.id);
    if (this.slots.size === 0 && this.slotsByKey.get(this.key) === this.slots) this.slotsByKey.delete(this.key);
  }
}

/** Drops expired slots and returns how many are left. */
function liveCount<K>(slots: Map<K, number>, nowMs: number): number {
  for (const [id, expiresAt] of slots) {
    if (expiresAt <= nowMs) slots.delete(id);
  }
  return slots.size;
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
