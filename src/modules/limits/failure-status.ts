import type { FailurePolicy, FailureStatus } from './types.js';

/** Blocked from the threshold-th failure until the window that counted it ends. */
export function failureStatus(count: number, msLeft: number, policy: FailurePolicy): FailureStatus {
  if (count < policy.threshold || msLeft <= 0) return { blocked: false, retryAfterSeconds: 0 };
  return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)) };
}
