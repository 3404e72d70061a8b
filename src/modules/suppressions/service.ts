import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { suppressions, type SuppressionRow } from '../../db/schema-events.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound, validationError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import { ownedBy, requireLiveKey, type Actor } from '../api-keys/principal.js';
import { diffChanges, recordAudit, type AuditChanges } from '../audit/record.js';
import {
  presentEntry,
  presentSuppression,
  type AddedSuppression,
  type BatchAdded,
  type BatchRemoved,
  type RemovedSuppression,
  type SuppressionEntry,
  type SuppressionObject,
  type SuppressionOrigin,
} from './schemas.js';
import { insertSuppressions, suppressionAddress } from './suppress.js';

export type SuppressionDeps = Readonly<{ db: Db; clock: Clock }>;

/** What `add` did: the suppression, and whether this call created it (201) or found it (200). */
export type AddOutcome = Readonly<{ suppression: SuppressionObject; created: boolean }>;

/** The suppression use cases, bound to their deps once by the composition root (app/services.ts). */
export type SuppressionService = Readonly<{
  /** Suppresses an address by hand; an address already suppressed is returned as it is. */
  add(actor: Actor, input: { email: string }): Promise<AddOutcome>;
  addMany(actor: Actor, input: { emails: readonly string[] }): Promise<BatchAdded>;
  list(actor: Actor, cursor: Cursor, filter?: { origin?: SuppressionOrigin | undefined }): Promise<ListPage<SuppressionEntry>>;
  /** By id (`sup_...`) or by email address. */
  get(actor: Actor, idOrEmail: string): Promise<SuppressionObject>;
  remove(actor: Actor, idOrEmail: string): Promise<RemovedSuppression>;
  /** Exactly one of `emails` and `ids`. */
  removeMany(actor: Actor, input: { emails?: readonly string[] | undefined; ids?: readonly string[] | undefined }): Promise<BatchRemoved>;
}>;

export function createSuppressionService(deps: SuppressionDeps): SuppressionService {
  return {
    // The list is live mail's: a test-mode key neither reads nor changes it.
    add: async (actor, input) => addSuppression(deps, live(actor), input),
    addMany: async (actor, input) => addSuppressions(deps, live(actor), input),
    list: async (actor, cursor, filter) => listSuppressions(deps, live(actor), cursor, filter),
    get: async (actor, idOrEmail) => getSuppression(deps, live(actor), idOrEmail),
    remove: async (actor, idOrEmail) => removeSuppression(deps, live(actor), idOrEmail),
    removeMany: async (actor, input) => removeSuppressions(deps, live(actor), input),
  };
}

function live(actor: Actor): Actor {
  requireLiveKey(actor, 'suppressions');
  return actor;
}

export async function addSuppression(deps: SuppressionDeps, actor: Actor, input: { email: string }): Promise<AddOutcome> {
  const [email] = validAddresses([input.email], () => 'email');
  const { rows, inserted } = await suppressAll(deps, actor, [email!]);
  return { suppression: presentSuppression(rows.get(email!)!), created: inserted.size > 0 };
}

/** All or nothing: one invalid address refuses the whole batch, naming it (`emails[3]`). */
export async function addSuppressions(deps: SuppressionDeps, actor: Actor, input: { emails: readonly string[] }): Promise<BatchAdded> {
  const emails = validAddresses(input.emails, (i) => `emails[${i}]`);
  const { rows } = await suppressAll(deps, actor, [...new Set(emails)]);
  // One line per address sent, in order, so a caller can pair them up (a repeated address repeats its id).
  return { data: emails.map((email): AddedSuppression => ({ object: 'suppression', id: rows.get(email)!.id })) };
}

export async function listSuppressions(
  deps: SuppressionDeps,
  actor: Actor,
  cursor: Cursor,
  filter: { origin?: SuppressionOrigin | undefined } = {},
): Promise<ListPage<SuppressionEntry>> {
  const scope = filter.origin ? and(ownedBy(actor, suppressions), eq(suppressions.origin, filter.origin))! : ownedBy(actor, suppressions);
  const page = pageOf(suppressions.id, scope, cursor);
  const rows = await deps.db.select().from(suppressions).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, cursor, presentEntry);
}

export async function getSuppression(deps: SuppressionDeps, actor: Actor, idOrEmail: string): Promise<SuppressionObject> {
  const where = identifiedBy(actor, idOrEmail);
  const [row] = where ? await deps.db.select().from(suppressions).where(where).limit(1) : [];
  // Another organization's or project's suppression is "not found": ids do not reveal existence.
  if (!row) throw notFound('Suppression');
  return presentSuppression(row);
}

export async function removeSuppression(deps: SuppressionDeps, actor: Actor, idOrEmail: string): Promise<RemovedSuppression> {
  const where = identifiedBy(actor, idOrEmail);
  if (!where) throw notFound('Suppression');
  const row = await deps.db.transaction(async (tx) => {
    const [deleted] = await tx.delete(suppressions).where(where).returning();
    if (!deleted) throw notFound('Suppression');
    await recordRemovals(deps, tx, actor, [deleted]);
    return deleted;
  });
  return { object: 'suppression', id: row.id, deleted: true };
}

/**
 * Removes by ids or by addresses. An identifier that names no suppression of the caller (unknown,
 * another project's, not an address) is reported `deleted: false` with the identifier as sent as
 * its `id`, rather than failing the batch: the outcome the caller wants, no suppression, holds.
 */
export async function removeSuppressions(
  deps: SuppressionDeps,
  actor: Actor,
  input: { emails?: readonly string[] | undefined; ids?: readonly string[] | undefined },
): Promise<BatchRemoved> {
  if (input.emails && input.ids) throw validationError('ids', 'give emails or ids, not both');
  if (!input.emails && !input.ids) throw validationError('emails', 'give emails or ids');
  const byEmail = input.emails !== undefined;
  const sent = input.emails ?? input.ids!;
  const keys = sent.map((text) => (byEmail ? suppressionAddress(text) : text));
  const wanted = [...new Set(keys.filter((key): key is string => key !== undefined))];
  const deleted = wanted.length === 0 ? [] : await deps.db.transaction(async (tx) => {
    const match = byEmail ? and(inOwnProject(actor), inArray(suppressions.email, wanted)) : and(ownedBy(actor, suppressions), inArray(suppressions.id, wanted));
    const rows = await tx.delete(suppressions).where(match).returning();
    await recordRemovals(deps, tx, actor, rows);
    return rows;
  });
  const found = new Map(deleted.map((row) => [byEmail ? row.email : row.id, row]));
  return {
    data: sent.map((text, i) => {
      const row = keys[i] === undefined ? undefined : found.get(keys[i]);
      return { object: 'suppression', id: row?.id ?? text, deleted: row !== undefined };
    }),
  };
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Suppresses the (normalised, distinct) addresses in the actor's project, in one transaction with
 * the audit event of those it creates (their webhook events come from the table's trigger, in the
 * same statement); returns every address's row and the ids created. An address already suppressed
 * is found, not duplicated.
 */
async function suppressAll(deps: SuppressionDeps, actor: Actor, emails: readonly string[]): Promise<{ rows: Map<string, SuppressionRow>; inserted: Set<string> }> {
  const at = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const created: SuppressionRow[] = [];
    const rows = new Map<string, SuppressionRow>();
    let missing = emails;
    // Twice at most: an address found suppressed at insert time but removed before the read is
    // inserted again; a third race in a row is reported as a conflict to retry.
    for (let attempt = 0; attempt < 2 && missing.length > 0; attempt++) {
      const insert = { organizationId: actor.organizationId, projectId: actor.projectId, emails: missing, origin: 'manual', sourceId: null, at } as const;
      created.push(...(await insertSuppressions(tx, insert)));
      for (const row of created) rows.set(row.email, row);
      const existing = missing.filter((email) => !rows.has(email));
      if (existing.length > 0) {
        for (const row of await tx.select().from(suppressions).where(and(inOwnProject(actor), inArray(suppressions.email, existing)))) rows.set(row.email, row);
      }
      missing = emails.filter((email) => !rows.has(email));
    }
    if (missing.length > 0) throw new AppError('conflict', 'Suppressions changed during this request; retry');
    if (created.length > 0) {
      const changes = created.length === 1 ? diffChanges(undefined, auditView(created[0]!)) : undefined;
      await recordAudit(tx, deps.clock, actor, { action: 'suppression.added', targets: created.map(target), changes, projectId: actor.projectId });
    }
    return { rows, inserted: new Set(created.map((row) => row.id)) };
  });
}

/** The audit event of removed rows, one per project they belonged to (their `suppression.removed` events come from the table's trigger). */
async function recordRemovals(deps: SuppressionDeps, tx: Tx, actor: Actor, rows: readonly SuppressionRow[]): Promise<void> {
  if (rows.length === 0) return;
  // The CLI, which sees every project, may remove rows of several at once.
  const byProject = new Map<string, SuppressionRow[]>();
  for (const row of rows) {
    const group = byProject.get(row.projectId);
    if (group) group.push(row);
    else byProject.set(row.projectId, [row]);
  }
  for (const [projectId, removed] of byProject) {
    const changes: AuditChanges | undefined = removed.length === 1 ? diffChanges(auditView(removed[0]!), undefined) : undefined;
    await recordAudit(tx, deps.clock, actor, { action: 'suppression.removed', targets: removed.map(target), changes, projectId });
  }
}

/** Each address normalised, or a 422 naming the first that is not one. */
function validAddresses(texts: readonly string[], fieldOf: (index: number) => string): string[] {
  return texts.map((text, i) => {
    const address = suppressionAddress(text);
    if (!address) throw validationError(fieldOf(i), `${JSON.stringify(text)} is not a valid email address`);
    return address;
  });
}

/**
 * The row `idOrEmail` names among the actor's, or undefined when it cannot name one. Addresses
 * are looked up in the actor's own project even for the CLI (which sees every project): the list
 * is per project, so an address alone names one row only there.
 */
function identifiedBy(actor: Actor, idOrEmail: string): SQL | undefined {
  if (isId('suppression', idOrEmail)) return and(eq(suppressions.id, idOrEmail), ownedBy(actor, suppressions));
  const email = suppressionAddress(idOrEmail);
  return email === undefined ? undefined : and(inOwnProject(actor), eq(suppressions.email, email));
}

function inOwnProject(actor: Actor): SQL {
  return and(eq(suppressions.organizationId, actor.organizationId), eq(suppressions.projectId, actor.projectId))!;
}

function target(row: SuppressionRow): { type: 'suppression'; id: string; name: string } {
  return { type: 'suppression', id: row.id, name: row.email };
}

function auditView(row: SuppressionRow): Record<string, unknown> {
  return { email: row.email, origin: row.origin, source_id: row.sourceId };
}
