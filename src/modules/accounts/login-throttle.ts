import type { Clock } from '../../lib/clock.js';
import { AuthGuard } from '../limits/auth-guard.js';
import type { FailureCounter, FailurePolicy } from '../limits/types.js';
import { sha256Hex } from './secrets.js';

/** Five wrong passwords for one account from one address, then a quarter of an hour's wait. */
export const LOGIN_FAILURE_POLICY: FailurePolicy = Object.freeze({ threshold: 5, windowSeconds: 15 * 60 });

/**
 * Sign-in and setup throttling. Two counters: per account and client address (LOGIN_FAILURE_POLICY;
 * keyed by the pair, so nobody can lock the owner out from elsewhere), and the per-address counter
 * API keys and SMTP use, so guessing across many accounts from one address is throttled too.
 * Both live in Redis when it is configured, shared by every instance.
 */
export class LoginThrottle {
  private readonly perAddress: AuthGuard;

  constructor(
    private readonly perAccount: FailureCounter,
    addressFailures: FailureCounter,
    clock: Clock,
  ) {
    this.perAddress = new AuthGuard(addressFailures, clock);
  }

  /** Seconds to wait before this account may be tried from this address; 0: go ahead. */
  async blockedFor(account: string, client: string): Promise<number> {
    const address = this.perAddress.blockedFor(client);
    const pair = await this.perAccount.isBlocked(pairKey(account, client));
    return Math.max(address, pair.retryAfterSeconds);
  }

  /** Counts a failure; the seconds to wait when the pair or the address is now blocked. */
  async recordFailure(account: string, client: string): Promise<number> {
    const [address, pair] = await Promise.all([
      this.perAddress.recordFailure(client),
      this.perAccount.recordFailure(pairKey(account, client)),
    ]);
    return Math.max(address, pair.blocked ? pair.retryAfterSeconds : 0);
  }
}

// The account part is hashed so counters (possibly in Redis) never hold email addresses.
function pairKey(account: string, client: string): string {
  return `${sha256Hex(account.trim().toLowerCase()).slice(0, 32)}|${client}`;
}
