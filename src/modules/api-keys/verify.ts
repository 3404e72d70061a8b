import { timingSafeEqual } from 'node:crypto';
import { eq, or } from 'drizzle-orm';
import type { Plan } from '../../config/config.js';
import type { Db } from '../../db/client.js';
import { apiKeys, organizations, type ApiKeyRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { MaybePromise } from '../../lib/maybe-promise.js';
import { ipAllowed, parseIpList, type IpAddress } from '../../lib/ip.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import type { Principal } from './principal.js';
import { hashTokenBytes, parseToken } from './token.js';

export type VerifyDenial = 'invalid_api_key' | 'ip_not_allowed';
export type VerifyResult = { ok: true; principal: Principal } | { ok: false; code: VerifyDenial };

export type VerifyDeps = Readonly<{ db: Db; clock: Clock; keyCache: KeyCache }>;

const INVALID: VerifyResult = Object.freeze({ ok: false, code: 'invalid_api_key' });
const IP_DENIED: VerifyResult = Object.freeze({ ok: false, code: 'ip_not_allowed' });

/**
 * What one connection last presented and what it verified to. A keep-alive client repeats the
 * same credential (for HTTP, the whole Authorization header) on every request; with this memo the
 * repeat skips parsing and hashing. It is only a shortcut to the key cache, re-checked on every
 * use: the entry must still be the one cached for that hash (an edit, rotation or deletion drops
 * it), and expiry and the IP allow-list are decided again each time.
 *
 * Security: a connection may carry several clients' requests (a proxy's pool), so telling a
 * different credential from the remembered one must not take time that depends on where they
 * differ. The memo is a Map of one entry: its lookup hashes the whole presented string (time
 * depending only on its length) and compares bytes only when the hashes match, with V8's string
 * hash seeded per process.
 */
export type TokenMemo = { last: Map<string, CachedKey> | undefined };

/**
 * A repeat of what this connection presented last, decided from the memo alone (no parsing, no
 * hashing), or undefined when the memo cannot answer: a different credential, or a key the cache
 * no longer holds as it was.
 */
export function recallMemo(deps: VerifyDeps, memo: TokenMemo, presented: string, clientIp: IpAddress | undefined): VerifyResult | undefined {
  const key = memo.last?.get(presented);
  if (key === undefined || deps.keyCache.get(key.hash) !== key) return undefined;
  return admit(deps, key, clientIp);
}

/**
 * The one verification used by HTTP and SMTP: token + client address -> Principal, or a denial.
 * Denials are values, so the hot path throws nothing. Malformed tokens are refused before any
 * lookup; a warm key is decided from the cache with no database round trip, and synchronously
 * (no promise): only a cold key returns one.
 */
export function verifyApiKey(
  deps: VerifyDeps,
  token: string,
  clientIp: IpAddress | undefined,
  /** Where to remember a token that verifies, and as what (for HTTP, its whole header): see recallMemo. */
  remember?: Remember,
): MaybePromise<VerifyResult> {
  if (!parseToken(token)) return INVALID;
  const digest = hashTokenBytes(token);
  const hash = digest.toString('hex');
  const cached = deps.keyCache.get(hash);
  // Warm (nearly every request): decided now. Cold: one SELECT first.
  if (cached === undefined) return loadKey(deps, hash).then((loaded) => decide(deps, loaded, digest, clientIp, remember));
  return decide(deps, cached, digest, clientIp, remember);
}

export type Remember = Readonly<{ memo: TokenMemo; as: string }>;

function decide(deps: VerifyDeps, cached: CachedKey | null, digest: Buffer, clientIp: IpAddress | undefined, remember: Remember | undefined): VerifyResult {
  if (cached === null) return INVALID;
  // Security: constant-time comparison of equal-length hashes, even though the lookup was by hash.
  if (cached.hashBytes.length !== digest.length || !timingSafeEqual(cached.hashBytes, digest)) return INVALID;
  if (remember) remember.memo.last = new Map([[remember.as, cached]]);
  return admit(deps, cached, clientIp);
}

/** The checks that depend on the moment and the caller, made on every request. */
function admit(deps: VerifyDeps, cached: CachedKey, clientIp: IpAddress | undefined): VerifyResult {
  if (cached.validUntil !== null && deps.clock.nowMs() >= cached.validUntil) return INVALID;
  if (!ipAllowed(clientIp, cached.principal.allowedIps)) return IP_DENIED;
  return cached.verified;
}

async function loadKey(deps: VerifyDeps, hash: string): Promise<CachedKey | null> {
  const generation = deps.keyCache.generation;
  const rows = await deps.db
    .select({ key: apiKeys, organization: { id: organizations.id, name: organizations.name, plan: organizations.plan } })
    .from(apiKeys)
    .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
    .where(or(eq(apiKeys.tokenHash, hash), eq(apiKeys.previousTokenHash, hash)))
    .limit(1);
  const row = rows[0];
  const cached = row ? toCachedKey(row.key, row.organization, hash) : null;
  deps.keyCache.set(hash, cached, generation);
  return cached;
}

function toCachedKey(key: ApiKeyRow, organization: { id: string; name: string; plan: Plan }, hash: string): CachedKey | null {
  const isPrevious = key.tokenHash !== hash;
  if (isPrevious && !key.previousTokenExpiresAt) return null;
  const limits = [key.expiresAt?.getTime(), isPrevious ? key.previousTokenExpiresAt?.getTime() : undefined].filter(
    (t): t is number => t !== undefined,
  );
  const parsedIps = parseIpList(key.allowedIps);
  // Stored entries were validated on write; one that no longer parses refuses the key (fail closed).
  if (!parsedIps.ok) return null;
  const principal: Principal = Object.freeze({
    kind: 'api_key',
    keyId: key.id,
    organizationId: key.organizationId,
    projectId: key.projectId,
    mode: key.mode,
    permission: key.permission,
    scopes: new Set(key.scopes),
    domainIds: Object.freeze([...key.domainIds]),
    allowedIps: Object.freeze(parsedIps.ranges),
    expiresAtMs: key.expiresAt?.getTime() ?? null,
    plan: organization.plan,
  });
  return Object.freeze({
    principal,
    verified: Object.freeze({ ok: true as const, principal }),
    snapshot: { key, organization },
    hash,
    hashBytes: Buffer.from(hash, 'hex'),
    validUntil: limits.length ? Math.min(...limits) : null,
  });
}
