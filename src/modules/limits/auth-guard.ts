import type { Clock } from '../../lib/clock.js';
import type { FailureCounter } from './types.js';

const MAX_TRACKED = 100_000;

/**
 * Authentication-failure throttling shared by HTTP and SMTP (through api-keys/authenticate.ts).
 * Failures are counted per client (in Redis when configured, so every instance adds to one
 * count); a client found blocked is remembered here too, so its further failures are answered
 * without counting them again. Only failures are refused: a valid key is always served.
 */
export class AuthGuard {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly failures: FailureCounter,
    private readonly clock: Clock,
  ) {}

  /** Seconds until the client may try again, or 0 when it is not blocked here. */
  blockedFor(client: string): number {
    const until = this.blockedUntil.get(client);
    if (until === undefined) return 0;
    const left = until - this.clock.nowMs();
    if (left <= 0) {
      this.blockedUntil.delete(client);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  /** Counts a failed authentication; returns the seconds to wait when the client is now blocked. */
  async recordFailure(client: string): Promise<number> {
    const status = await this.failures.recordFailure(client);
    if (!status.blocked) return 0;
    if (this.blockedUntil.size >= MAX_TRACKED) this.blockedUntil.clear();
    this.blockedUntil.set(client, this.clock.nowMs() + status.retryAfterSeconds * 1000);
    return Math.max(1, status.retryAfterSeconds);
  }
}
