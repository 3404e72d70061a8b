import type { Plan } from '../../config/config.js';
import type { IpRange } from '../../lib/ip.js';
import type { Permission } from './scopes.js';
import type { KeyMode } from './token.js';

/**
 * Who is calling and what they may do: built at the edge (HTTP or SMTP) from a verified key and
 * passed to services as plain values. Services never see requests or sessions.
 */
export type Principal = Readonly<{
  kind: 'api_key';
  keyId: string;
  organizationId: string;
  projectId: string;
  mode: KeyMode;
  permission: Permission;
  scopes: ReadonlySet<string>;
  /** Domains the key may send from; empty: any verified domain of the organization. */
  domainIds: readonly string[];
  /** Client ranges the key may be used from; empty: any address. */
  allowedIps: readonly IpRange[];
  plan: Plan;
}>;

/** What a service needs to know of its caller: an API key principal, the dashboard or the CLI. */
export type Actor = Readonly<{
  organizationId: string;
  projectId: string;
  scopes: ReadonlySet<string>;
  /** The calling key, when the actor is a key (not the dashboard or the CLI). */
  keyId?: string;
}>;

export const OPERATOR_SCOPES: ReadonlySet<string> = new Set(['*']);
