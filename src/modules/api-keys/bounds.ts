import { AppError } from '../../lib/errors.js';
import { parseIpList, rangeWithin } from '../../lib/ip.js';
import type { Actor } from './principal.js';
import { scopesBeyond, type HeldScope } from './scopes.js';
import type { KeyMode } from './token.js';

// No escalation, on any axis (CONTRACT.md section 4): a key can create, edit, rotate or delete
// only keys that are no broader than itself, itself included, so it can never lift its own
// restrictions or mint a key without them. Rotation counts too: it hands out the managed key's
// new token. Operators (the dashboard, the CLI) are bounded by their organization alone.

/** What a key may do, on every axis a calling key bounds. */
export type KeyReach = Readonly<{
  mode: KeyMode;
  scopes: readonly HeldScope[];
  domainIds: readonly string[];
  allowedIps: readonly string[];
  expiresAt: Date | null;
}>;

/** Refuses (throws) scopes the calling key lacks: checked first, before any other rule. */
export function assertScopesWithin(actor: Actor, scopes: readonly HeldScope[]): void {
  const beyond = scopesBeyond(actor.scopes, [...scopes]);
  if (beyond.length > 0) {
    throw new AppError('insufficient_scope', `A key cannot grant or manage scopes it lacks itself: ${beyond.join(', ')}`, { field: 'scopes' });
  }
}

/** Refuses (throws) a key broader than the calling key on any axis; an operator only on scopes (it holds all). */
export function assertWithinActor(actor: Actor, target: KeyReach): void {
  assertScopesWithin(actor, target.scopes);
  if (actor.kind !== 'api_key') return;
  if (actor.mode === 'test' && target.mode === 'live') {
    throw escalation('mode', 'a test key makes and manages test keys only');
  }
  if (actor.domainIds.length > 0 && (target.domainIds.length === 0 || target.domainIds.some((id) => !actor.domainIds.includes(id)))) {
    throw escalation('domain_ids', `must be some of the calling key's own domains (${actor.domainIds.join(', ')})`);
  }
  if (actor.allowedIps.length > 0 && !ipsWithin(target.allowedIps, actor)) {
    throw escalation('allowed_ips', `must lie within the calling key's own ranges (${actor.allowedIps.map((r) => r.text).join(', ')})`);
  }
  if (actor.expiresAtMs !== null && (target.expiresAt === null || target.expiresAt.getTime() > actor.expiresAtMs)) {
    throw escalation('expires_at', `must be no later than the calling key's own expiry (${new Date(actor.expiresAtMs).toISOString()})`);
  }
}

function ipsWithin(entries: readonly string[], actor: Extract<Actor, { kind: 'api_key' }>): boolean {
  if (entries.length === 0) return false; // "any address" is broader than any list
  const parsed = parseIpList(entries);
  return parsed.ok && parsed.ranges.every((range) => rangeWithin(range, actor.allowedIps));
}

function escalation(field: string, message: string): AppError {
  return new AppError('privilege_escalation', `${field}: ${message}; a key cannot lift its own restrictions or make a key without them`, { field });
}
