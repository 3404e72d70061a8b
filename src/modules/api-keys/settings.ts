import { and, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { domains } from '../../db/schema.js';
import { validationError } from '../../lib/errors.js';
import { parseIpList } from '../../lib/ip.js';
import { assertScopesWithin, assertWithinActor } from './bounds.js';
import { ownedBy, type Actor } from './principal.js';
import { scopesFor, type HeldScope, type Permission, type Scope } from './scopes.js';
import type { KeyMode } from './token.js';

/** The settings a key carries, resolved and checked, ready to store. */
export type KeySettings = {
  permission: Permission;
  scopes: HeldScope[];
  domainIds: string[];
  allowedIps: string[];
  expiresAt: Date | null;
};

export type SettingsInput = {
  permission?: Permission | undefined;
  scopes?: Scope[] | undefined;
  domain_ids?: string[] | undefined;
  domain_id?: string | null | undefined;
  allowed_ips?: string[] | string | null | undefined;
  expires_at?: string | null | undefined;
};

/**
 * Resolves create/update input against the current settings (none on create) and checks every
 * rule: scopes only with `custom`, domains of the organization only and only on sending keys,
 * strict IP entries, expiry in the future, and nothing broader than the calling key (bounds.ts).
 * On create, a calling key's own domains, IP ranges and expiry stand for the ones not given.
 */
export async function resolveSettings(options: {
  db: Db;
  actor: Actor;
  input: SettingsInput;
  current: KeySettings | undefined;
  mode: KeyMode;
  now: Date;
}): Promise<KeySettings> {
  const { db, actor, now, mode } = options;
  const input = options.current === undefined ? inheritBounds(options.input, actor) : options.input;
  const current = options.current;
  const permission = resolvePermission(input, current);
  let customScopes: Scope[] = [];
  if (permission === 'custom') {
    customScopes = input.scopes ?? (current?.permission === 'custom' ? (current.scopes as Scope[]) : []);
    if (customScopes.length === 0) throw validationError('scopes', 'a custom key needs at least one scope');
  } else if (input.scopes !== undefined) {
    throw validationError('scopes', `scopes are set only with permission "custom", not "${permission}"`);
  }
  const scopes = scopesFor(permission, customScopes);
  assertScopesWithin(actor, scopes);

  const domainIds = await resolveDomainIds({ db, actor, input, current, fullAccess: scopes.includes('*') });
  const allowedIps = resolveAllowedIps(input.allowed_ips, current?.allowedIps ?? []);
  let expiresAt = current?.expiresAt ?? null;
  if (input.expires_at !== undefined) {
    expiresAt = input.expires_at === null ? null : new Date(input.expires_at);
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw validationError('expires_at', 'must be in the future');
  }
  const settings = { permission, scopes, domainIds, allowedIps, expiresAt };
  assertWithinActor(actor, { mode, ...settings });
  return settings;
}

/** A new key made by a key is bounded like it unless told otherwise (and told, no wider: bounds.ts). */
function inheritBounds(input: SettingsInput, actor: Actor): SettingsInput {
  if (actor.kind !== 'api_key') return input;
  const inherited = { ...input };
  if (input.domain_ids === undefined && input.domain_id === undefined && actor.domainIds.length > 0) inherited.domain_ids = [...actor.domainIds];
  if (input.allowed_ips === undefined && actor.allowedIps.length > 0) inherited.allowed_ips = actor.allowedIps.map((range) => range.text);
  if (input.expires_at === undefined && actor.expiresAtMs !== null) inherited.expires_at = new Date(actor.expiresAtMs).toISOString();
  return inherited;
}

function resolvePermission(input: SettingsInput, current: KeySettings | undefined): Permission {
  if (input.permission) return input.permission;
  if (input.scopes !== undefined) return 'custom';
  return current?.permission ?? 'full_access';
}

async function resolveDomainIds(options: {
  db: Db;
  actor: Actor;
  input: SettingsInput;
  current: KeySettings | undefined;
  fullAccess: boolean;
}): Promise<string[]> {
  const { db, actor, input, current, fullAccess } = options;
  if (input.domain_ids !== undefined && input.domain_id !== undefined) {
    throw validationError('domain_id', 'give domain_ids or domain_id, not both');
  }
  const given = input.domain_id !== undefined ? (input.domain_id === null ? [] : [input.domain_id]) : input.domain_ids;
  if (given === undefined) {
    // A key promoted to full access sends from any domain: its old restriction no longer applies.
    return fullAccess ? [] : [...(current?.domainIds ?? [])];
  }
  const unique = [...new Set(given)];
  if (unique.length === 0) return [];
  if (fullAccess) {
    throw validationError('domain_ids', 'only sending keys can be limited to domains (full access sends from any)');
  }
  const found = await db
    .select({ id: domains.id })
    .from(domains)
        // A key names only its own project's domains: another project's are unknown, as everywhere.
    .where(and(ownedBy(actor, domains), inArray(domains.id, unique)));
  const known = new Set(found.map((row) => row.id));
  const index = unique.findIndex((id) => !known.has(id));
  if (index !== -1) throw validationError(`domain_ids[${index}]`, `unknown domain ${JSON.stringify(unique[index])}`);
  return unique;
}

function resolveAllowedIps(input: string[] | string | null | undefined, current: string[]): string[] {
  if (input === undefined) return [...current];
  if (input === null) return [];
  const entries = typeof input === 'string' ? input.split(',').map((s) => s.trim()).filter(Boolean) : input;
  const parsed = parseIpList(entries);
  if (!parsed.ok) {
    throw validationError(`allowed_ips[${parsed.index}]`, `${JSON.stringify(parsed.entry)} ${parsed.reason}`);
  }
  return [...new Set(parsed.ranges.map((range) => range.text))];
}
