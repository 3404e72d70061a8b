import type { Plan } from '../../config/config.js';
import type { Db } from '../../db/client.js';
import type { ClientAddress } from '../../lib/client-address.js';
import type { Clock } from '../../lib/clock.js';
import type { ErrorCode } from '../../lib/errors.js';
import { AuthGuard } from '../limits/auth-guard.js';
import type { Limits } from '../limits/resilient.js';
import type { RateDecision } from '../limits/types.js';
import type { KeyCache } from './key-cache.js';
import type { Principal } from './principal.js';
import { hasScope, type Scope } from './scopes.js';
import type { Use, UsageRecorder } from './usage-recorder.js';
import { verifyApiKey } from './verify.js';

// The one authentication path of every edge (HTTP, SMTP): a credential and a client address in,
// a Principal or a denial out, with every rule in one place: the failure guard, the key's
// verification (cache, expiry, IP allow-list), the scope the caller needs and the plan's rate.
// Edges only carry the answer to their protocol; none re-implements a rule.

/** What the caller needs: any valid key (GET /whoami), or a key holding this scope. */
export type AuthNeed = 'any_key' | Scope;

export type AuthRequest = Readonly<{
  /** The presented key; undefined when none was presented at all. */
  credential: string | undefined;
  client: ClientAddress;
  need: AuthNeed;
}>;

/** `keyId`: the real key that was refused (scope, address, rate), so its usage shows the denial. */
export type AuthDenial = Readonly<{ ok: false; code: ErrorCode; message: string; retryAfterSeconds?: number; keyId?: string }>;

/** The answer; `rate` (the plan's decision, for ratelimit-* headers) once the key is known. */
export type AuthOutcome = (Readonly<{ ok: true; principal: Principal }> | AuthDenial) & { rate?: RateDecision };

export type Authenticator = Readonly<{
  authenticate(request: AuthRequest): Promise<AuthOutcome>;
  /** Counts one use of a key (an HTTP request, an SMTP message) for `last_used_at` and usage. */
  recordUse(use: Use): void;
}>;

export type AuthenticatorDeps = Readonly<{
  db: Db;
  clock: Clock;
  keyCache: KeyCache;
  limits: Limits;
  usage: UsageRecorder;
  planRates: Readonly<Record<Plan, number>>;
}>;

const MISSING: AuthDenial = { ok: false, code: 'missing_api_key', message: 'Missing API key: send it as Authorization: Bearer <key> (never in the URL)' };
const INVALID: AuthDenial = { ok: false, code: 'invalid_api_key', message: 'Invalid API key' };

export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const verifyDeps = { db: deps.db, clock: deps.clock, keyCache: deps.keyCache };
  const guard = new AuthGuard(deps.limits.failures, deps.clock);

  /**
   * A failed authentication. The failure guard throttles failures, never a valid key
   * (CONTRACT.md section 6): one service behind a shared address retrying a revoked key must not
   * lock out the others there. Past the threshold a failure is answered 429 at once, without
   * counting it again.
   */
  const failed = async (client: ClientAddress): Promise<AuthDenial> => {
    const wait = guard.blockedFor(client.limitKey) || (await guard.recordFailure(client.limitKey));
    if (wait === 0) return INVALID;
    return { ok: false, code: 'too_many_auth_failures', message: `Too many failed authentications from this address; retry after ${wait}s`, retryAfterSeconds: wait };
  };

  return {
    async authenticate({ credential, client, need }) {
      if (credential === undefined) return MISSING;
      const verified = await verifyApiKey(verifyDeps, credential, client.address);
      if (!verified.ok) {
        // A known key from a refused address is no guess at a key: 403, not counted.
        if (verified.code === 'ip_not_allowed') return { ok: false, code: 'ip_not_allowed', message: `This API key cannot be used from ${client.text}`, keyId: verified.keyId };
        return failed(client);
      }
      const { principal } = verified;
      if (need !== 'any_key' && !hasScope(principal.scopes, need)) {
        return { ok: false, code: 'insufficient_scope', message: `This API key lacks the scope ${need}`, keyId: principal.keyId };
      }
      const rate = await deps.limits.rate.consume(`org:${principal.organizationId}`, deps.planRates[principal.plan]);
      if (!rate.allowed) {
        const message = `Over the ${principal.plan} plan's ${rate.limit} requests per second; retry after ${rate.retryAfterSeconds}s`;
        return { ok: false, code: 'rate_limit_exceeded', message, retryAfterSeconds: rate.retryAfterSeconds, rate, keyId: principal.keyId };
      }
      return { ok: true, principal, rate };
    },
    recordUse: (use) => deps.usage.record(use),
  };
}
