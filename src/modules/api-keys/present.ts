import type { ApiKeyRow } from '../../db/schema.js';
import type { ApiKeyObject } from './schemas.js';
import { redactToken } from './token.js';

/** The public shape of a key: never a hash, never a secret. */
export function presentKey(row: ApiKeyRow, pendingLastUsedMs: number | undefined): ApiKeyObject {
  const presented: ApiKeyObject = {
    object: 'api_key',
    id: row.id,
    name: row.name,
    permission: row.permission,
    scopes: row.scopes,
    domain_ids: row.domainIds,
    allowed_ips: row.allowedIps,
    mode: row.mode,
    redacted_token: redactToken(row.mode, row.tokenTail),
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    expires_at: row.expiresAt?.toISOString() ?? null,
    previous_token_expires_at: row.previousTokenExpiresAt?.toISOString() ?? null,
  };
  return withPendingUse(presented, row, pendingLastUsedMs);
}

/**
 * A presented key with this instance's use not yet written (usage-recorder.ts) folded into
 * `last_used_at`, so reads here are exact. `presented` must be `row` as presented.
 */
export function withPendingUse(presented: ApiKeyObject, row: ApiKeyRow, pendingLastUsedMs: number | undefined): ApiKeyObject {
  if (pendingLastUsedMs === undefined || pendingLastUsedMs <= (row.lastUsedAt?.getTime() ?? 0)) return presented;
  return { ...presented, last_used_at: new Date(pendingLastUsedMs).toISOString() };
}
