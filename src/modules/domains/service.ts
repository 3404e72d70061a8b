import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { domains, type DomainRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { notFound, validationError, type AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import { ownedBy, type Actor } from '../api-keys/principal.js';
import { diffChanges, recordAudit, type AuditTarget } from '../audit/record.js';
import type { EventType } from '../events/catalogue.js';
import { recordEvent, type EventWriter } from '../events/record.js';
import { generateDkimPrivateKey } from './dkim.js';
import { normaliseDomainName } from './domain-name.js';
import { checkRecords, presentRecords } from './records.js';
import type { DomainObject, DomainSettings, DomainSummary, NewDomain } from './schemas.js';

export type DomainDeps = Readonly<{
  db: Db;
  clock: Clock;
  /** `host:port` resolvers used to verify records (`[::1]:53` for IPv6); undefined: the system's. */
  dnsServers: readonly string[] | undefined;
  /** Per-query DNS timeout; 3 s when absent. */
  dnsTimeoutMs?: number;
  /** POSTGATE_PUBLIC_URL: its host is where a domain receiving mail points its MX (inbound-host.ts). */
  publicUrl?: string;
}>;

/** The domain use cases, bound to their deps once by the composition root (app/services.ts). */
export type DomainService = Readonly<{
  create(actor: Actor, input: NewDomain): Promise<DomainObject>;
  list(actor: Actor, cursor: Cursor): Promise<ListPage<DomainSummary>>;
  get(actor: Actor, id: string): Promise<DomainObject>;
  verify(actor: Actor, id: string): Promise<DomainObject>;
  /** The operator's word that the domain is theirs (`postgate domains add --verified`): no DNS check. */
  trust(actor: Actor, id: string): Promise<DomainObject>;
  /** Tracking, TLS, receiving and tracking subdomain (PATCH /domains/:id); fields left out keep their value. */
  update(actor: Actor, id: string, settings: DomainSettings): Promise<{ object: 'domain'; id: string }>;
  delete(actor: Actor, id: string): Promise<{ object: 'domain'; id: string; deleted: true }>;
}>;

export function createDomainService(deps: DomainDeps): DomainService {
  return {
    create: (actor, input) => createDomain(deps, actor, input),
    list: (actor, cursor) => listDomains(deps, actor, cursor),
    get: (actor, id) => getDomain(deps, actor, id),
    verify: (actor, id) => verifyDomain(deps, actor, id),
    trust: (actor, id) => trustDomain(deps, actor, id),
    update: (actor, id, settings) => updateDomain(deps, actor, id, settings),
    delete: (actor, id) => deleteDomain(deps, actor, id),
  };
}

/** What the email sender needs of the domain in a From address. */
export type SendingDomain = Pick<DomainRow, 'id' | 'projectId' | 'name' | 'status' | 'dkimSelector' | 'dkimPrivateKey'>;

/** A new domain of the actor's organization, with a fresh DKIM key and the records to publish. */
export async function createDomain(deps: DomainDeps, actor: Actor, input: NewDomain): Promise<DomainObject> {
  const name = normaliseDomainName(input.name);
  if (await findByName(deps.db, actor.organizationId, name)) throw duplicate(name);
  const dkimPrivateKey = await generateDkimPrivateKey();
  const now = deps.clock.now();
  try {
    const row = await deps.db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(domains)
        .values({
          id: newId('domain', now.getTime()),
          organizationId: actor.organizationId,
          projectId: actor.projectId,
          name,
          dkimPrivateKey,
          openTracking: input.openTracking,
          clickTracking: input.clickTracking,
          tls: input.tls,
          region: input.region,
          receiving: input.receiving,
          customReturnPath: input.customReturnPath,
          trackingSubdomain: input.trackingSubdomain,
          createdAt: now,
        })
        .returning();
      await recordAudit(tx, deps.clock, actor, { action: 'domain.created', targets: [domainTarget(inserted!)], changes: diffChanges(undefined, auditView(inserted!)), projectId: inserted!.projectId });
      await recordDomainEvent(deps, tx, 'domain.created', inserted!);
      return inserted!;
    });
    return presentDomain(row, deps.publicUrl);
  } catch (error) {
    // Two creates of one name at once: the unique index lets one through.
    if (isUniqueViolation(error)) throw duplicate(name);
    throw error;
  }
}

export async function listDomains(deps: DomainDeps, actor: Actor, cursor: Cursor): Promise<ListPage<DomainSummary>> {
  const page = pageOf(domains.id, ownedBy(actor, domains), cursor);
  const rows = await deps.db.select().from(domains).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, cursor, presentSummary);
}

export async function getDomain(deps: DomainDeps, actor: Actor, id: string): Promise<DomainObject> {
  return presentDomain(await findOwnDomain(deps.db, actor, id), deps.publicUrl);
}

/**
 * Looks the records up in DNS and records what it found. The domain is verified only while both
 * the ownership and the DKIM record are published; a check that finds them gone fails it again.
 */
export async function verifyDomain(deps: DomainDeps, actor: Actor, id: string): Promise<DomainObject> {
  const current = await findOwnDomain(deps.db, actor, id);
  const found = await checkRecords(current, { servers: deps.dnsServers, timeoutMs: deps.dnsTimeoutMs });
  const verified = found.ownership === 'verified' && found.dkim === 'verified';
  const status = verified ? 'verified' : 'failed';
  const values = { status, ownershipStatus: found.ownership, dkimStatus: found.dkim, spfStatus: found.spf, lastCheckedAt: deps.clock.now() } as const;
  return presentDomain(await updateAudited(deps, actor, current, values, verified ? 'domain.verified' : 'domain.verification_failed'), deps.publicUrl);
}

/**
 * The operator's shortcut (`postgate domains add --verified`): marks the domain verified on the
 * operator's word, without a DNS check. Never reachable through the API.
 */
export async function trustDomain(deps: DomainDeps, actor: Actor, id: string): Promise<DomainObject> {
  const current = await findOwnDomain(deps.db, actor, id);
  const values = { status: 'verified', ownershipStatus: 'verified', dkimStatus: 'verified', lastCheckedAt: deps.clock.now() } as const;
  return presentDomain(await updateAudited(deps, actor, current, values, 'domain.verified'), deps.publicUrl);
}

/**
 * Changes the settings given. A body that sets nothing still answers 404 for a domain the actor
 * cannot see, and writes nothing.
 */
export async function updateDomain(deps: DomainDeps, actor: Actor, id: string, settings: DomainSettings): Promise<{ object: 'domain'; id: string }> {
  const current = await findOwnDomain(deps.db, actor, id);
  const values = definedOnly({
    openTracking: settings.openTracking,
    clickTracking: settings.clickTracking,
    tls: settings.tls,
    receiving: settings.receiving,
    trackingSubdomain: settings.trackingSubdomain,
  });
  if (Object.keys(values).length > 0) await updateAudited(deps, actor, current, values, 'domain.updated');
  return { object: 'domain', id: current.id };
}

/** The fields given a value (null included: it clears); left-out fields keep theirs. */
function definedOnly(values: Partial<DomainRow>): Partial<DomainRow> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/**
 * Writes a change and, when something did change, its audit event and its `domain.updated`
 * webhook event, in one transaction (a repeated check that finds the same is no change).
 */
async function updateAudited(deps: DomainDeps, actor: Actor, current: DomainRow, values: Partial<DomainRow>, action: string): Promise<DomainRow> {
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.update(domains).set(values).where(and(eq(domains.id, current.id), ownedBy(actor, domains))).returning();
    // Deleted while DNS was being asked.
    if (!row) throw notFound('Domain');
    const changes = diffChanges(auditView(current), auditView(row));
    if (Object.keys(changes).length === 0) return row;
    await recordAudit(tx, deps.clock, actor, { action, targets: [domainTarget(row)], changes, projectId: row.projectId });
    await recordDomainEvent(deps, tx, 'domain.updated', row);
    return row;
  });
}

/**
 * Deletes the domain. Keys limited to it (`domain_ids`) keep the dangling id on purpose: removing
 * it could leave such a key with no limit at all, which means any domain.
 */
export async function deleteDomain(deps: DomainDeps, actor: Actor, id: string): Promise<{ object: 'domain'; id: string; deleted: true }> {
  await deps.db.transaction(async (tx) => {
    const [deleted] = await tx.delete(domains).where(and(eq(domains.id, id), ownedBy(actor, domains))).returning();
    if (!deleted) throw notFound('Domain');
    await recordAudit(tx, deps.clock, actor, { action: 'domain.deleted', targets: [domainTarget(deleted)], changes: diffChanges(auditView(deleted), undefined), projectId: deleted.projectId });
    await recordDomainEvent(deps, tx, 'domain.deleted', deleted);
  });
  return { object: 'domain', id, deleted: true };
}

/** The organization's domain called `domainName` (any case, trailing dot or not), if it has one. */
export async function getSendingDomain(db: Db, organizationId: string, domainName: string): Promise<SendingDomain | undefined> {
  const [row] = await db
    .select({
      id: domains.id,
      projectId: domains.projectId,
      name: domains.name,
      status: domains.status,
      dkimSelector: domains.dkimSelector,
      dkimPrivateKey: domains.dkimPrivateKey,
    })
    .from(domains)
    .where(and(eq(domains.organizationId, organizationId), eq(domains.name, domainName.trim().toLowerCase().replace(/\.$/, ''))))
    .limit(1);
  return row;
}

async function findOwnDomain(db: Db, actor: Actor, id: string): Promise<DomainRow> {
  const [row] = await db
    .select()
    .from(domains)
    .where(and(eq(domains.id, id), ownedBy(actor, domains)))
    .limit(1);
  // Another organization's domain is "not found", never "forbidden": ids do not leak existence.
  if (!row) throw notFound('Domain');
  return row;
}

async function findByName(db: Db, organizationId: string, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: domains.id })
    .from(domains)
    .where(and(eq(domains.organizationId, organizationId), eq(domains.name, name)))
    .limit(1);
  return row !== undefined;
}

function duplicate(name: string): AppError {
  return validationError('name', `the domain ${name} already exists in this organization`);
}

/** PostgreSQL's unique_violation, wherever the driver or Drizzle wrapped it. */
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

function presentSummary(row: DomainRow): DomainSummary {
  return {
    object: 'domain',
    id: row.id,
    name: row.name,
    status: row.status,
    created_at: row.createdAt.toISOString(),
    region: row.region,
    capabilities: { sending: 'enabled', receiving: row.receiving },
    open_tracking: row.openTracking,
    click_tracking: row.clickTracking,
    tls: row.tls,
    ...(row.trackingSubdomain === null ? {} : { tracking_subdomain: row.trackingSubdomain }),
    custom_return_path: row.customReturnPath,
  };
}

/** The public shape of a domain: the records to publish, never the private key. */
export function presentDomain(row: DomainRow, publicUrl: string | undefined): DomainObject {
  return {
    ...presentSummary(row),
    records: presentRecords(row, publicUrl),
    last_checked_at: row.lastCheckedAt?.toISOString() ?? null,
  };
}

function domainTarget(row: DomainRow): AuditTarget {
  return { type: 'domain', id: row.id, name: row.name };
}

/** What the audit log shows of a domain: its name, statuses and settings (never its signing key). */
function auditView(row: DomainRow): Record<string, unknown> {
  return {
    name: row.name,
    status: row.status,
    ownership_status: row.ownershipStatus,
    dkim_status: row.dkimStatus,
    spf_status: row.spfStatus,
    open_tracking: row.openTracking,
    click_tracking: row.clickTracking,
    tls: row.tls,
    region: row.region,
    receiving: row.receiving,
    custom_return_path: row.customReturnPath,
    tracking_subdomain: row.trackingSubdomain,
  };
}

/**
 * The webhook event of a domain change, in the transaction of the change (Resend's
 * DomainEventData). `region` is the one the domain was created with: stored and shown, though a
 * self-hosted server sends from wherever it runs.
 */
async function recordDomainEvent(deps: DomainDeps, tx: EventWriter, type: EventType, row: DomainRow): Promise<void> {
  const data = { id: row.id, name: row.name, status: row.status, created_at: row.createdAt.toISOString(), region: row.region, records: presentRecords(row, deps.publicUrl) };
  await recordEvent(tx, { organizationId: row.organizationId, projectId: row.projectId, type, data, at: deps.clock.now() });
}
