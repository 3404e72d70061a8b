import type { ApiKey, Permission } from '../../api/types.ts';

/** The scope catalogue (CONTRACT.md section 4), grouped as the custom-key form shows it. */
export const SCOPE_GROUPS: { label: string; scopes: string[] }[] = [
  { label: 'Emails', scopes: ['emails:send', 'emails:read'] },
  { label: 'Domains', scopes: ['domains:read', 'domains:write'] },
  { label: 'API keys', scopes: ['api_keys:read', 'api_keys:write'] },
  { label: 'Templates', scopes: ['templates:read', 'templates:write'] },
  { label: 'Webhooks', scopes: ['webhooks:read', 'webhooks:write'] },
  { label: 'Audience', scopes: ['audience:read', 'audience:write'] },
  { label: 'Other', scopes: ['projects:read', 'organization:read', 'analytics:read', 'sms:send', 'whatsapp:send'] },
];

export const PERMISSIONS: { value: Permission; label: string; description: string }[] = [
  { value: 'full_access', label: 'Full access', description: 'Every API call, key management included.' },
  { value: 'sending_access', label: 'Sending only', description: 'Send email; nothing else, not even reading.' },
  { value: 'custom', label: 'Custom', description: 'Exactly the scopes you tick.' },
];

/** What the create and edit forms hold. */
export type KeyFormValue = {
  name: string;
  permission: Permission;
  scopes: string[];
  domainIds: string[];
  allowedIps: string;
};

export const EMPTY_KEY_FORM: KeyFormValue = { name: '', permission: 'full_access', scopes: [], domainIds: [], allowedIps: '' };

export function formValueOf(key: ApiKey): KeyFormValue {
  return {
    name: key.name,
    permission: key.permission,
    scopes: key.permission === 'custom' ? key.scopes : [],
    domainIds: key.domain_ids,
    allowedIps: key.allowed_ips.join(', '),
  };
}

/** The request body: scopes only for custom keys, domains only for keys without full access. */
export function keyBody(value: KeyFormValue, mode: 'create' | 'edit'): Record<string, unknown> {
  const body: Record<string, unknown> = { name: value.name.trim(), permission: value.permission };
  if (value.permission === 'custom') body.scopes = value.scopes;
  if (value.permission !== 'full_access') body.domain_ids = value.domainIds;
  const ips = value.allowedIps.trim();
  if (ips !== '') body.allowed_ips = ips;
  else if (mode === 'edit') body.allowed_ips = null;
  return body;
}
