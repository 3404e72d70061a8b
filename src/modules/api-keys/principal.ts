import { and, eq, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
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
  /** When this credential stops working (the key's expiry, or the end of a rotated-out token's grace; epoch ms), or null: a key it makes or manages may not outlive it. */
  expiresAtMs: number | null;
  plan: Plan;
}>;

/** The dashboard's signed-in user or the CLI's operator: full access within one organization. */
export type Operator = Readonly<{
  kind: 'operator';
  organizationId: string;
  projectId: string;
  scopes: ReadonlySet<string>;
}>;

/**
 * What a service needs to know of its caller. A key acts within its own bounds on every axis
 * (scopes, domains, IP ranges, expiry, mode); an operator within its organization only.
 */
export type Actor = Principal | Operator;

export const OPERATOR_SCOPES: ReadonlySet<string> = new Set(['*']);

export function operator(organizationId: string, projectId: string): Operator {
  return { kind: 'operator', organizationId, projectId, scopes: OPERATOR_SCOPES };
}

/**
 * The mode of the objects an actor sees: a key sees only objects of its own mode (a test key
 * never reads live emails or keys, as in Stripe); an operator sees both (undefined).
 */
export function visibleMode(actor: Actor): KeyMode | undefined {
  return actor.kind === 'api_key' ? actor.mode : undefined;
}

/** The rows of a table an actor sees: its organization's, and for a key only those of its mode. */
export function visibleTo(actor: Actor, columns: Readonly<{ organizationId: AnyPgColumn; mode: AnyPgColumn }>): SQL {
  const mode = visibleMode(actor);
  const organization = eq(columns.organizationId, actor.organizationId);
  return mode === undefined ? organization : and(organization, eq(columns.mode, mode))!;
}
