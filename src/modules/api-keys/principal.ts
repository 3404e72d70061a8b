import { and, eq, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Plan } from '../../config/config.js';
import { AppError } from '../../lib/errors.js';
import type { IpRange } from '../../lib/ip.js';
import { CLI_IDENTITY, type AuditIdentity, type RequestContext } from '../audit/record.js';
import type { Permission } from './scopes.js';
import type { KeyMode } from './token.js';

/**
 * Who is calling and what they may do: built at the edge (HTTP or SMTP) from a verified key and
 * passed to services as plain values. Services never see requests or sessions.
 */
export type Principal = Readonly<{
  kind: 'api_key';
  keyId: string;
  /** The key's name, as the audit log shows who acted. */
  keyName: string;
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
  /** Where this request came from, for the audit log (set per request by the HTTP edge). */
  request?: RequestContext;
}>;

/** The dashboard's signed-in user or the CLI's operator: full access within one organization. */
export type Operator = Readonly<{
  kind: 'operator';
  organizationId: string;
  projectId: string;
  scopes: ReadonlySet<string>;
  /** Who the audit log names: the signed-in user, or the CLI. */
  identity: AuditIdentity;
  /** The dashboard shows one project at a time (its switcher); the CLI sees them all. */
  projectOnly?: boolean;
  request?: RequestContext;
}>;

/**
 * What a service needs to know of its caller. A key acts within its own bounds on every axis
 * (scopes, domains, IP ranges, expiry, mode); an operator within its organization only.
 */
export type Actor = Principal | Operator;

export const OPERATOR_SCOPES: ReadonlySet<string> = new Set(['*']);

export function operator(organizationId: string, projectId: string, identity: AuditIdentity = CLI_IDENTITY): Operator {
  return { kind: 'operator', organizationId, projectId, scopes: OPERATOR_SCOPES, identity };
}

/** The same actor, with where its request came from (a new object: principals are cached and shared). */
export function withRequest<A extends Actor>(actor: A, request: RequestContext): A {
  return { ...actor, request };
}

/**
 * The mode of the objects an actor sees: a key sees only objects of its own mode (a test key
 * never reads live emails or keys, as in Stripe); an operator sees both (undefined).
 */
export function visibleMode(actor: Actor): KeyMode | undefined {
  return actor.kind === 'api_key' ? actor.mode : undefined;
}

/**
 * For resources that hold only live data (webhooks carry live mail's and keys' events; the
 * suppression list, live mail's bounces): a test-mode key sees only test-mode objects, so it is
 * refused there, reading as writing.
 */
export function requireLiveKey(actor: Actor, resources: string): void {
  if (visibleMode(actor) === 'test') throw new AppError('insufficient_scope', `${resources} are managed with live keys: a test-mode key sees only test-mode objects`);
}

/**
 * The rows of a table an actor owns: its organization's, and for a key only its own project's
 * (another project's id is "not found"); the dashboard only the project it is switched to; the CLI
 * every project.
 */
export function ownedBy(actor: Actor, columns: Readonly<{ organizationId: AnyPgColumn; projectId: AnyPgColumn }>): SQL {
  const organization = eq(columns.organizationId, actor.organizationId);
  const projectOnly = actor.kind === 'api_key' || actor.projectOnly === true;
  return projectOnly ? and(organization, eq(columns.projectId, actor.projectId))! : organization;
}

/** The rows an actor sees of a table with modes: those it owns, and for a key only those of its mode. */
export function visibleTo(actor: Actor, columns: Readonly<{ organizationId: AnyPgColumn; projectId: AnyPgColumn; mode: AnyPgColumn }>): SQL {
  const mode = visibleMode(actor);
  const owned = ownedBy(actor, columns);
  return mode === undefined ? owned : and(owned, eq(columns.mode, mode))!;
}
