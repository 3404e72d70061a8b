import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { projects } from '../../db/schema.js';
import { events, webhookDeliveries, webhooks, type WebhookRow } from '../../db/schema-events.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { SecretBox } from '../accounts/secret-box.js';
import { ownedBy, requireLiveKey, type Actor } from '../api-keys/principal.js';
import { hasScope } from '../api-keys/scopes.js';
import { diffChanges, recordAudit, type AuditTarget } from '../audit/record.js';
import { checkEndpointUrl, type WebhookNetworkPolicy } from './address-policy.js';
import type { CreateWebhookInput, UpdateWebhookInput, WebhookObject, WebhookSummary } from './schemas.js';

// Webhook endpoints: Resend's API (create, get, list, update, remove, rotate the signing secret).
// The secret is Standard Webhooks' `whsec_` + base64 of 24 random bytes; it is sealed at rest and
// shown on create, get and rotate, as Resend does (get: only to callers who may write webhooks). After a rotation the old secret keeps signing
// beside the new one for ROTATION_GRACE_MS, so receivers can switch without losing a delivery.

export const SECRET_PURPOSE = 'webhook-signing-secret';
export const ROTATION_GRACE_MS = 24 * 3_600_000;
export const MAX_WEBHOOKS_PER_PROJECT = 50;

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type WebhookDeps = Readonly<{ db: Db; clock: Clock; box: SecretBox; policy: WebhookNetworkPolicy }>;

export type WebhookService = Readonly<{
  create(actor: Actor, input: CreateWebhookInput): Promise<{ object: 'webhook'; id: string; signing_secret: string }>;
  get(actor: Actor, id: string): Promise<WebhookObject>;
  list(actor: Actor, cursor: Cursor): Promise<ListPage<WebhookSummary>>;
  update(actor: Actor, id: string, input: UpdateWebhookInput): Promise<{ object: 'webhook'; id: string }>;
  remove(actor: Actor, id: string): Promise<{ object: 'webhook'; id: string; deleted: true }>;
  rotateSecret(actor: Actor, id: string): Promise<{ object: 'webhook'; id: string; signing_secret: string }>;
  /** Queues a `webhook.test` event for this endpoint only (the dashboard's "send test event"). */
  sendTest(actor: Actor, id: string): Promise<{ object: 'webhook_event'; id: string }>;
  /** The row, if the actor may see it (the event log's routes start here). */
  find(actor: Actor, id: string): Promise<WebhookRow>;
}>;

export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function createWebhookService(deps: WebhookDeps): WebhookService {
  const endpointOf = (url: string): string => {
    const checked = checkEndpointUrl(url, deps.policy);
    if (!checked.ok) throw validationError('endpoint', checked.message);
    return checked.url.href;
  };
  /** The row if the actor may see it; inside a transaction, locked against concurrent changes. */
  const find = async (actor: Actor, id: string, tx?: Tx): Promise<WebhookRow> => {
    requireLiveKey(actor, 'webhooks');
    const query = (tx ?? deps.db).select().from(webhooks).where(and(eq(webhooks.id, id), ownedBy(actor, webhooks)));
    const [row] = tx ? await query.for('update') : await query;
    if (!row) throw notFound('Webhook');
    return row;
  };
  /** Null only when the install's key changed (POSTGATE_SECRET_KEY): the secret cannot be opened. */
  const secretOf = (row: WebhookRow): string | null => deps.box.open(SECRET_PURPOSE, row.secretBox, row.id) ?? null;

  return {
    find,
    async create(actor, input) {
      requireLiveKey(actor, 'webhooks');
      const url = endpointOf(input.endpoint);
      const now = deps.clock.now();
      const id = newId('webhook', now.getTime());
      const secret = newSigningSecret();
      await deps.db.transaction(async (tx) => {
        // The project's row locked first: two creates at once cannot both see room for one more.
        // NO KEY UPDATE: it conflicts with itself, not with the key-share locks of foreign keys to the project.
        await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, actor.projectId)).for('no key update');
        const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(webhooks).where(and(eq(webhooks.organizationId, actor.organizationId), eq(webhooks.projectId, actor.projectId)));
        // Each event is one signed POST per endpoint: the bound keeps one project from turning the
        // operator's address into an amplifier.
        if (n >= MAX_WEBHOOKS_PER_PROJECT) throw new AppError('conflict', `a project has at most ${MAX_WEBHOOKS_PER_PROJECT} webhook endpoints; delete one first`);
        const [row] = await tx
          .insert(webhooks)
          .values({
            id,
            organizationId: actor.organizationId,
            projectId: actor.projectId,
            endpoint: url,
            events: input.events,
            secretBox: deps.box.seal(SECRET_PURPOSE, secret, id),
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.created', targets: [target(row!)], changes: diffChanges(undefined, auditView(row!)), projectId: row!.projectId });
      });
      return { object: 'webhook', id, signing_secret: secret };
    },
    async get(actor, id) {
      const row = await find(actor, id);
      // Security: the secret lets its holder forge this endpoint's events; a reader who may not
      // change the endpoint (a webhooks:read key, a dashboard viewer) does not get it.
      return { ...presentSummary(row), signing_secret: hasScope(actor.scopes, 'webhooks:write') ? secretOf(row) : null };
    },
    async list(actor, cursor) {
      requireLiveKey(actor, 'webhooks');
      const page = pageOf(webhooks.id, ownedBy(actor, webhooks), cursor);
      const rows = await deps.db.select().from(webhooks).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentSummary);
    },
    async update(actor, id, input) {
      const now = deps.clock.now();
      return deps.db.transaction(async (tx) => {
        const before = await find(actor, id, tx);
        const endpoint = input.endpoint === undefined ? undefined : endpointOf(input.endpoint);
        const changes = {
          ...(endpoint !== undefined && endpoint !== before.endpoint ? { endpoint } : {}),
          ...(input.events !== undefined && [...input.events].sort().join() !== [...before.events].sort().join() ? { events: input.events } : {}),
          ...(input.status !== undefined && input.status !== before.status ? { status: input.status, disabledReason: null } : {}),
        };
        // Nothing new: no write, no audit event, and no new updated_at (which would make workers
        // hold back this endpoint's waiting deliveries as if it had been edited).
        if (Object.keys(changes).length === 0) return { object: 'webhook' as const, id: before.id };
        // Enabled again, or pointed elsewhere: the five days of failures start over.
        const freshStart = changes.status === 'enabled' || changes.endpoint !== undefined;
        const [after] = await tx
          .update(webhooks)
          .set({ ...changes, ...(freshStart ? { failingSince: null } : {}), updatedAt: now })
          .where(eq(webhooks.id, before.id))
          .returning();
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.updated', targets: [target(before)], changes: diffChanges(auditView(before), auditView(after!)), projectId: before.projectId });
        return { object: 'webhook' as const, id: before.id };
      });
    },
    async remove(actor, id) {
      return deps.db.transaction(async (tx) => {
        const row = await find(actor, id, tx);
        // Its deliveries and attempts go with it (foreign keys, ON DELETE CASCADE).
        await tx.delete(webhooks).where(eq(webhooks.id, row.id));
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.deleted', targets: [target(row)], changes: diffChanges(auditView(row), undefined), projectId: row.projectId });
        return { object: 'webhook' as const, id: row.id, deleted: true as const };
      });
    },
    async sendTest(actor, id) {
      const row = await find(actor, id);
      if (row.status !== 'enabled') throw disabledConflict();
      const now = deps.clock.now();
      const eventId = newId('event', now.getTime());
      const deliveryId = newId('webhookDelivery', now.getTime());
      const type = 'webhook.test';
      await deps.db.transaction(async (tx) => {
        // No webhook subscribes to `webhook.test` (it is not in the catalogue), so the fan-out
        // trigger queues nothing: the one delivery is this endpoint's.
        await tx.insert(events).values({
          id: eventId,
          organizationId: row.organizationId,
          projectId: row.projectId,
          type,
          payload: { type, created_at: now.toISOString(), data: { webhook_id: row.id, message: 'A test event sent from Postgate.' } },
          createdAt: now,
        });
        await tx.insert(webhookDeliveries).values({ id: deliveryId, webhookId: row.id, eventId, eventType: type, nextAttemptAt: now, createdAt: now, updatedAt: now });
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.test_sent', targets: [target(row)], projectId: row.projectId });
      });
      return { object: 'webhook_event', id: deliveryId };
    },
    async rotateSecret(actor, id) {
      const now = deps.clock.now();
      const secret = newSigningSecret();
      return deps.db.transaction(async (tx) => {
        // Locked: two rotations at once must not both hand out a secret only one of them keeps.
        const row = await find(actor, id, tx);
        await tx
          .update(webhooks)
          .set({
            secretBox: deps.box.seal(SECRET_PURPOSE, secret, row.id),
            previousSecretBox: row.secretBox,
            previousSecretUntil: new Date(now.getTime() + ROTATION_GRACE_MS),
            updatedAt: now,
          })
          .where(eq(webhooks.id, row.id));
        // The secrets themselves never reach the audit log.
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.secret_rotated', targets: [target(row)], projectId: row.projectId });
        return { object: 'webhook' as const, id: row.id, signing_secret: secret };
      });
    },
  };
}

/** Replaying or testing a disabled endpoint would be accepted and never sent: said instead. */
export function disabledConflict(): AppError {
  return new AppError('conflict', 'the webhook is disabled; enable it first');
}

export function presentSummary(row: WebhookRow): WebhookSummary {
  return {
    object: 'webhook',
    id: row.id,
    endpoint: row.endpoint,
    created_at: row.createdAt.toISOString(),
    status: row.status,
    events: row.events,
    disabled_reason: row.disabledReason,
  };
}

function target(row: WebhookRow): AuditTarget {
  return { type: 'webhook', id: row.id, name: endpointForLog(row.endpoint) };
}

function auditView(row: WebhookRow): Record<string, unknown> {
  return { endpoint: endpointForLog(row.endpoint), events: row.events, status: row.status };
}

/**
 * Security: endpoint URLs often carry a token in their path or query (Slack, Zapier), and the
 * audit log is readable with audit:read: it keeps the origin and a digest of the rest, enough
 * to tell a change from none.
 */
export function endpointForLog(endpoint: string): string {
  const url = new URL(endpoint);
  const rest = `${url.pathname}${url.search}`;
  return rest === '/' ? url.origin : `${url.origin}/… (${createHash('sha256').update(rest).digest('hex').slice(0, 8)})`;
}
