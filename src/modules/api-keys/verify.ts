import { timingSafeEqual } from 'node:crypto';
import { eq, or } from 'drizzle-orm';
import type { Plan } from '../../config/config.js';
import type { Db } from '../../db/client.js';
import { apiKeys, organizations, type ApiKeyRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { ipAllowed, parseIpList, type IpAddress } from '../../lib/ip.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import type { Principal } from './principal.js';
import { presentKey } from './present.js';
import { hashTokenBytes, parseToken, TOKEN_LENGTH } from './token.js';

export type VerifyDenial = 'invalid_api_key' | 'ip_not_allowed';
/** A denial names the key when it was a real key, used from an address it may not use. */
export type VerifyResult = { ok: true; principal: Principal } | { ok: false; code: VerifyDenial; keyId?: string };

export type VerifyDeps = Readonly<{ db: Db; clock: Clock; keyCache: KeyCache }>;

const INVALID: VerifyResult = Object.freeze({ ok: false, code: 'invalid_api_key' });

/**
 * A token and the client's address -> Principal, or a denial (a value: nothing is thrown).
 * Malformed tokens are refused before any database lookup; a warm key is decided from the cache, a cold
 * one after one SELECT (its answer, found or not, is cached). authenticate.ts is its only caller.
 */
export async function verifyApiKey(deps: VerifyDeps, token: string, clientIp: IpAddress | undefined): Promise<VerifyResult> {
  if (token.length !== TOKEN_LENGTH) return INVALID;
  const digest = hashTokenBytes(token);
  const hash = digest.toString('hex');
  const cached = deps.keyCache.get(hash);
  // Only tokens already looked up are in the cache: anything else must be well formed, with a
  // valid checksum, before it costs a lookup.
  if (cached === undefined && !parseToken(token)) return INVALID;
  const key = cached === undefined ? await loadKey(deps, hash) : cached;
  if (key === null) return INVALID;
  // Security: constant-time comparison of equal-length hashes, even though the lookup was by hash.
  if (key.hashBytes.length !== digest.length || !timingSafeEqual(key.hashBytes, digest)) return INVALID;
  return admit(deps, key, clientIp);
}

/** The checks that depend on the moment and the caller, made on every request. */
function admit(deps: VerifyDeps, cached: CachedKey, clientIp: IpAddress | undefined): VerifyResult {
  if (cached.validUntil !== null && deps.clock.nowMs() >= cached.validUntil) return INVALID;
  if (!ipAllowed(clientIp, cached.principal.allowedIps)) return { ok: false, code: 'ip_not_allowed', keyId: cached.principal.keyId };
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
  const ends = [key.expiresAt?.getTime(), isPrevious ? key.previousTokenExpiresAt?.getTime() : undefined].filter(
    (t): t is number => t !== undefined,
  );
  /** When this token dies: the key's expiry, or the end of a rotated-out token's grace. */
  const validUntil = ends.length ? Math.min(...ends) : null;
  const parsedIps = parseIpList(key.allowedIps);
  // Stored entries were validated on write; one that no longer parses refuses the key (fail closed).
  if (!parsedIps.ok) return null;
  const principal: Principal = Object.freeze({
    kind: 'api_key',
    keyId: key.id,
    keyName: key.name,
    organizationId: key.organizationId,
    projectId: key.projectId,
    mode: key.mode,
    permission: key.permission,
    scopes: new Set(key.scopes),
    domainIds: Object.freeze([...key.domainIds]),
    allowedIps: Object.freeze(parsedIps.ranges),
    // The credential's own end: a rotated-out token in its grace period bounds what it may make
    // or manage by the end of that grace (bounds.ts), so it can neither rotate its key nor mint
    // a key that outlives it.
    expiresAtMs: validUntil,
    plan: organization.plan,
  });
  return Object.freeze({
    principal,
    verified: Object.freeze({ ok: true as const, principal }),
    snapshot: { key, organization, apiKey: presentKey(key, undefined) },
    hash,
    hashBytes: Buffer.from(hash, 'hex'),
    validUntil,
  });
}
