import { and, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeys, organizations, type ApiKeyRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { Invalidation } from './invalidation.js';
import type { KeyCache, KeySnapshot } from './key-cache.js';
import { assertWithinActor } from './bounds.js';
import { visibleMode, visibleTo, type Actor, type Principal } from './principal.js';
import type { ApiKeyObject, CreateKeyBody, UpdateKeyBody } from './schemas.js';
import type { HeldScope } from './scopes.js';
import { resolveSettings, type KeySettings } from './settings.js';
import { diffChanges, recordAudit, type AuditTarget } from '../audit/record.js';
import { presentKey, withPendingUse } from './present.js';
import { generateToken } from './token.js';
import type { KeyUsage, UsageRecorder } from './usage-recorder.js';

export type ApiKeyDeps = Readonly<{
  db: Db;
  keyCache: KeyCache;
  clock: Clock;
  maxKeysPerOrg: number;
  staleKeyDays: number;
  invalidation: Invalidation;
  usage: UsageRecorder;
}>;

export type KeyWithToken = ApiKeyObject & { token: string };

/** The API key use cases, bound to their deps once by the composition root (app/services.ts). */
export type ApiKeyService = Readonly<{
  create(actor: Actor, input: CreateKeyBody): Promise<KeyWithToken>;
  list(actor: Actor, cursor: Cursor): Promise<ListPage<ApiKeyObject>>;
  get(actor: Actor, id: string): Promise<ApiKeyObject>;
  update(actor: Actor, id: string, input: UpdateKeyBody): Promise<ApiKeyObject>;
  rotate(actor: Actor, id: string, graceSeconds: number): Promise<KeyWithToken>;
  delete(actor: Actor, id: string): Promise<{ object: 'api_key'; id: string; deleted: true }>;
  usage(actor: Actor, id: string, days: number): Promise<KeyUsage & { object: 'api_key_usage'; id: string }>;
  describe(principal: Principal): Promise<KeyDescription>;
}>;

export function createApiKeyService(deps: ApiKeyDeps): ApiKeyService {
  return {
    create: (actor, input) => createApiKey(deps, actor, input),
    list: (actor, cursor) => listApiKeys(deps, actor, cursor),
    get: (actor, id) => getApiKey(deps, actor, id),
    update: (actor, id, input) => updateApiKey(deps, actor, id, input),
    rotate: (actor, id, graceSeconds) => rotateApiKey(deps, actor, id, graceSeconds),
    delete: (actor, id) => deleteApiKey(deps, actor, id),
    usage: (actor, id, days) => getApiKeyUsage(deps, actor, id, days),
    describe: (principal) => describeKey(deps, principal),
  };
}

export async function createApiKey(deps: ApiKeyDeps, actor: Actor, input: CreateKeyBody): Promise<KeyWithToken> {
  const now = deps.clock.now();
  // A key makes keys of its own mode unless told otherwise (and a test key only test keys: bounds.ts).
  const mode = input.mode ?? visibleMode(actor) ?? 'live';
  const settings = await resolveSettings({ db: deps.db, actor, input, current: undefined, mode, now });
  const generated = generateToken(mode);
  const row = await deps.db.transaction(async (tx) => {
    // Lock the organization row so concurrent creates cannot both pass the cap.
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, actor.organizationId)).for('update');
    const [held] = await tx.select({ n: count() }).from(apiKeys).where(eq(apiKeys.organizationId, actor.organizationId));
    if ((held?.n ?? 0) >= deps.maxKeysPerOrg) {
      throw new AppError(
        'api_key_limit_reached',
        `This organization already holds ${deps.maxKeysPerOrg} API keys, the most it may; delete one first`,
      );
    }
    const [inserted] = await tx
      .insert(apiKeys)
      .values({
        id: newId('apiKey', now.getTime()),
        organizationId: actor.organizationId,
        projectId: actor.projectId,
        name: input.name,
        mode,
        ...settings,
        tokenHash: generated.hash,
        tokenTail: generated.tail,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordAudit(tx, deps.clock, actor, { action: 'api_key.created', targets: [keyTarget(inserted!)], changes: diffChanges(undefined, presentKey(inserted!, undefined)), projectId: inserted!.projectId });
    return inserted!;
  });
  return { ...presentKey(row, undefined), token: generated.token };
}

export async function listApiKeys(deps: ApiKeyDeps, actor: Actor, cursor: Cursor): Promise<ListPage<ApiKeyObject>> {
  const page = pageOf(apiKeys.id, visibleTo(actor, apiKeys), cursor);
  const rows = await deps.db.select().from(apiKeys).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, cursor, (row) => presentWithHygiene(deps, row));
}

export async function getApiKey(deps: ApiKeyDeps, actor: Actor, id: string): Promise<ApiKeyObject> {
  return presentWithHygiene(deps, await findOwnKey(deps.db, actor, id));
}

export async function updateApiKey(deps: ApiKeyDeps, actor: Actor, id: string, input: UpdateKeyBody): Promise<ApiKeyObject> {
  const current = await findManageableKey(deps.db, actor, id);
  const now = deps.clock.now();
  const settings = await resolveSettings({ db: deps.db, actor, input, current: settingsOf(current), mode: current.mode, now });
  const row = await deps.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(apiKeys)
      .set({ ...settings, ...(input.name !== undefined ? { name: input.name } : {}), updatedAt: now })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, actor.organizationId)))
      .returning();
    if (!updated) throw notFound('API key');
    const changes = diffChanges(presentKey(current, undefined), presentKey(updated, undefined));
    await recordAudit(tx, deps.clock, actor, { action: 'api_key.updated', targets: [keyTarget(updated)], changes, projectId: updated.projectId });
    return updated;
  });
  await deps.invalidation.keyChanged(id);
  return presentWithHygiene(deps, row);
}

/** New secret, same id and settings; the old secret keeps working for `graceSeconds` (0: dies now). */
export async function rotateApiKey(deps: ApiKeyDeps, actor: Actor, id: string, graceSeconds: number): Promise<KeyWithToken> {
  const current = await findManageableKey(deps.db, actor, id);
  const now = deps.clock.now();
  const generated = generateToken(current.mode);
  const row = await deps.db.transaction(async (tx) => {
    const [rotated] = await tx
      .update(apiKeys)
      .set({
        tokenHash: generated.hash,
        tokenTail: generated.tail,
        previousTokenHash: graceSeconds > 0 ? current.tokenHash : null,
        previousTokenExpiresAt: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null,
        updatedAt: now,
      })
      // Compare-and-set on the hash: two concurrent rotations cannot both hand out a live token.
      .where(and(eq(apiKeys.id, id), eq(apiKeys.tokenHash, current.tokenHash)))
      .returning();
    if (!rotated) throw new AppError('conflict', 'The key was rotated by another request at the same moment; retry');
    const changes = diffChanges(presentKey(current, undefined), presentKey(rotated, undefined));
    await recordAudit(tx, deps.clock, actor, { action: 'api_key.rotated', targets: [keyTarget(rotated)], changes, projectId: rotated.projectId });
    return rotated;
  });
  await deps.invalidation.keyChanged(id);
  return { ...presentKey(row, deps.usage.pendingLastUsed(id)), token: generated.token };
}

export async function deleteApiKey(
  deps: ApiKeyDeps,
  actor: Actor,
  id: string,
): Promise<{ object: 'api_key'; id: string; deleted: true }> {
  const current = await findManageableKey(deps.db, actor, id);
  await deps.db.transaction(async (tx) => {
    const deleted = await tx
      .delete(apiKeys)
      .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, actor.organizationId)))
      .returning({ id: apiKeys.id });
    if (deleted.length === 0) throw notFound('API key');
    await recordAudit(tx, deps.clock, actor, { action: 'api_key.deleted', targets: [keyTarget(current)], changes: diffChanges(presentKey(current, undefined), undefined), projectId: current.projectId });
  });
  await deps.invalidation.keyChanged(id);
  return { object: 'api_key', id, deleted: true };
}

export async function getApiKeyUsage(
  deps: ApiKeyDeps,
  actor: Actor,
  id: string,
  days: number,
): Promise<KeyUsage & { object: 'api_key_usage'; id: string }> {
  await findOwnKey(deps.db, actor, id);
  return { object: 'api_key_usage', id, ...(await deps.usage.usage(id, days)) };
}

/** The body of GET /whoami: the calling key and its organization. */
export type KeyDescription = Readonly<{ object: 'whoami'; api_key: ApiKeyObject; organization: KeySnapshot['organization'] }>;

/** The calling key and its organization: from the verification cache when warm, else one SELECT. */
export async function describeKey(deps: ApiKeyDeps, principal: Principal): Promise<KeyDescription> {
  const snapshot = deps.keyCache.snapshotOf(principal.keyId) ?? (await loadSnapshot(deps.db, principal.keyId));
  return {
    object: 'whoami',
    api_key: withPendingUse(snapshot.apiKey, snapshot.key, deps.usage.pendingLastUsed(snapshot.key.id)),
    organization: snapshot.organization,
  };
}

async function loadSnapshot(db: Db, keyId: string): Promise<KeySnapshot> {
  const [row] = await db
    .select({ key: apiKeys, organization: { id: organizations.id, name: organizations.name, plan: organizations.plan } })
    .from(apiKeys)
    .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
    .where(eq(apiKeys.id, keyId))
    .limit(1);
  if (!row) throw notFound('API key');
  return { ...row, apiKey: presentKey(row.key, undefined) };
}

async function findOwnKey(db: Db, actor: Actor, id: string): Promise<ApiKeyRow> {
  const [row] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, id), visibleTo(actor, apiKeys))).limit(1);
  // Another organization's key is "not found", never "forbidden": ids do not leak existence.
  if (!row) throw notFound('API key');
  return row;
}

/**
 * Editing, rotating or deleting a key broader than the actor would be an escalation (rotation
 * hands out the broader key's new token), so it is refused (bounds.ts).
 */
async function findManageableKey(db: Db, actor: Actor, id: string): Promise<ApiKeyRow> {
  const row = await findOwnKey(db, actor, id);
  assertWithinActor(actor, { mode: row.mode, ...settingsOf(row) });
  return row;
}

function settingsOf(row: ApiKeyRow): KeySettings {
  return {
    permission: row.permission,
    scopes: row.scopes as HeldScope[],
    domainIds: row.domainIds,
    allowedIps: row.allowedIps,
    expiresAt: row.expiresAt,
  };
}

function keyTarget(row: ApiKeyRow): AuditTarget {
  return { type: 'api_key', id: row.id, name: row.name };
}

const DAY_MS = 86_400_000;

/** The key as listed: with its last use as this instance knows it, and whether it went stale. */
function presentWithHygiene(deps: ApiKeyDeps, row: ApiKeyRow): ApiKeyObject {
  const pending = deps.usage.pendingLastUsed(row.id);
  const lastActive = Math.max(row.lastUsedAt?.getTime() ?? row.createdAt.getTime(), pending ?? 0);
  return { ...presentKey(row, pending), stale: deps.clock.nowMs() - lastActive > deps.staleKeyDays * DAY_MS };
}
