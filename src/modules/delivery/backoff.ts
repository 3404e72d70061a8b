/** The longest wait between two attempts, however many came before. */
export const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

/**
 * Wait before the next attempt after `attempts` failed ones: exponential (base, 2x base, 4x...),
 * capped, with "equal jitter" (half the step fixed, half random) so emails that failed together
 * do not all come back together.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(step / 2 + (step / 2) * random());
}
