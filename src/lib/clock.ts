/** Time comes in as a dependency, so tests can move it (key expiry, rotation grace). */
export type Clock = Readonly<{
  nowMs(): number;
  now(): Date;
}>;

export const systemClock: Clock = Object.freeze({
  nowMs: () => Date.now(),
  now: () => new Date(),
});

/** A clock for tests: starts at the real time and moves only when told. */
export function manualClock(startMs: number = Date.now()): Clock & { advance(ms: number): void } {
  let current = startMs;
  return {
    nowMs: () => current,
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms;
    },
  };
}
