// Permissions and scopes. A key holds either `*` (full access, present and future scopes) or an
// explicit list drawn from the catalogue. Sending access is a preset of the three send scopes.

export const SCOPES = [
  'emails:send',
  'emails:read',
  'templates:read',
  'templates:write',
  'domains:read',
  'domains:write',
  'webhooks:read',
  'webhooks:write',
  'audience:read',
  'audience:write',
  'projects:read',
  'organization:read',
  'analytics:read',
  'api_keys:read',
  'api_keys:write',
  'sms:send',
  'whatsapp:send',
  'inbound:read',
  'inbound:write',
  'providers:read',
  'providers:write',
  'senders:read',
  'senders:write',
  'audit:read',
] as const;

export type Scope = (typeof SCOPES)[number];
export type HeldScope = Scope | '*';

export const PERMISSIONS = ['full_access', 'sending_access', 'custom'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const SENDING_SCOPES: readonly Scope[] = ['emails:send', 'sms:send', 'whatsapp:send'];

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);

export function isScope(value: string): value is Scope {
  return SCOPE_SET.has(value);
}

/** The scopes a key of this permission holds; `custom` uses its own list, de-duplicated and sorted. */
export function scopesFor(permission: Permission, custom: readonly Scope[] = []): HeldScope[] {
  if (permission === 'full_access') return ['*'];
  if (permission === 'sending_access') return [...SENDING_SCOPES];
  return [...new Set(custom)].sort();
}

export function hasScope(held: ReadonlySet<string>, needed: Scope): boolean {
  return held.has('*') || held.has(needed);
}

/** Scopes in `requested` that `granter` does not hold: a key can never grant what it lacks. */
export function scopesBeyond(granter: ReadonlySet<string>, requested: readonly HeldScope[]): HeldScope[] {
  if (granter.has('*')) return [];
  return requested.filter((scope) => scope === '*' || !granter.has(scope));
}
