import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { events, webhookDeliveries, webhooks, type WebhookRow } from '../../db/schema-events.js';
import type { Clock } from '../../lib/clock.js';
import { notFound, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { SecretBox } from '../accounts/secret-box.js';
import { ownedBy, type Actor } from '../api-keys/principal.js';
import { hasScope } from '../api-keys/scopes.js';
import { diffChanges, recordAudit, type AuditTarget } from '../audit/record.js';
import { checkEndpointUrl, type WebhookNetworkPolicy } from './address-policy.js';
import type { CreateWebhookInput, UpdateWebhookInput, WebhookObject, WebhookSummary } from './schemas.js';

// Webhook endpoints: Resend's API (create, get, list, update, remove, rotate the signing secret).
// The secret is Standard Webhooks' `whsec_` + base64 of 24 random bytes; it is sealed at rest and
// shown on create, get and rotate, as Resend does. After a rotation the old secret keeps signing
// beside the new one for ROTATION_GRACE_MS, so receivers can switch without losing a delivery.

export const SECRET_PURPOSE = 'webhook-signing-secret';
export const ROTATION_GRACE_MS = 24 * 3_600_000;

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
  const find = async (actor: Actor, id: string): Promise<WebhookRow> => {
    const [row] = await deps.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.id, id), ownedBy(actor, webhooks)));
    if (!row) throw notFound('Webhook');
    return row;
  };
  const secretOf = (row: WebhookRow): string => {
    const secret = deps.box.open(SECRET_PURPOSE, row.secretBox, row.id);
    // Only a changed install key (POSTGATE_SECRET_KEY) makes a sealed secret unreadable.
    if (secret === undefined) throw new Error(`the signing secret of webhook ${row.id} cannot be opened with this install's key`);
    return secret;
  };

  return {
    find,
    async create(actor, input) {
      const url = endpointOf(input.endpoint);
      const now = deps.clock.now();
      const id = newId('webhook', now.getTime());
      const secret = newSigningSecret();
      await deps.db.transaction(async (tx) => {
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
      const page = pageOf(webhooks.id, ownedBy(actor, webhooks), cursor);
      const rows = await deps.db.select().from(webhooks).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentSummary);
    },
    async update(actor, id, input) {
      const before = await find(actor, id);
      const now = deps.clock.now();
      const enabling = input.status === 'enabled' && before.status === 'disabled';
      await deps.db.transaction(async (tx) => {
        const [after] = await tx
          .update(webhooks)
          .set({
            ...(input.endpoint !== undefined ? { endpoint: endpointOf(input.endpoint) } : {}),
            ...(input.events !== undefined ? { events: input.events } : {}),
            ...(input.status !== undefined ? { status: input.status, disabledReason: null } : {}),
            // Enabled again: the five days of failures start over.
            ...(enabling ? { failingSince: null } : {}),
            updatedAt: now,
          })
          .where(eq(webhooks.id, before.id))
          .returning();
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.updated', targets: [target(after!)], changes: diffChanges(auditView(before), auditView(after!)), projectId: after!.projectId });
      });
      return { object: 'webhook', id: before.id };
    },
    async remove(actor, id) {
      const row = await find(actor, id);
      await deps.db.transaction(async (tx) => {
        // Its deliveries and attempts go with it (foreign keys, ON DELETE CASCADE).
        await tx.delete(webhooks).where(eq(webhooks.id, row.id));
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.deleted', targets: [target(row)], changes: diffChanges(auditView(row), undefined), projectId: row.projectId });
      });
      return { object: 'webhook', id: row.id, deleted: true };
    },
    async sendTest(actor, id) {
      const row = await find(actor, id);
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
      const row = await find(actor, id);
      const now = deps.clock.now();
      const secret = newSigningSecret();
      await deps.db.transaction(async (tx) => {
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
      });
      return { object: 'webhook', id: row.id, signing_secret: secret };
    },
  };
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
  return { type: 'webhook', id: row.id, name: row.endpoint };
}

function auditView(row: WebhookRow): Record<string, unknown> {
  return { endpoint: row.endpoint, events: row.events, status: row.status };
}
