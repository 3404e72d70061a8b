import { z } from 'zod';
import { EVENT_TYPES } from '../events/catalogue.js';

// The webhooks API in Resend's shapes (the `resend` SDK's webhooks interfaces), snake_case on the
// wire. Bodies are strict: a field the API does not take (organization_id, signing_secret) is 422.

const eventType = z.enum(EVENT_TYPES);
const endpoint = z.string().min(1).max(2_048);
/** At least one type; a type listed twice is kept once. */
const eventList = z
  .array(eventType)
  .min(1)
  .max(EVENT_TYPES.length * 2)
  .transform((types) => [...new Set(types)]);

export const createWebhookBody = z.strictObject({ endpoint, events: eventList });
export const updateWebhookBody = z.strictObject({
  endpoint: endpoint.optional(),
  events: eventList.optional(),
  status: z.enum(['enabled', 'disabled']).optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookBody>;
export type UpdateWebhookInput = z.infer<typeof updateWebhookBody>;

export const webhookIdParams = z.strictObject({ id: z.string().min(1).max(64) });
export const webhookEventParams = z.strictObject({ id: z.string().min(1).max(64), eventId: z.string().min(1).max(64) });

const status = z.enum(['enabled', 'disabled']);

export const webhookSummary = z.object({
  object: z.literal('webhook'),
  id: z.string(),
  endpoint: z.string(),
  created_at: z.string(),
  status,
  events: z.array(z.string()),
  /** Beyond Resend: why Postgate disabled it (`gone`: the endpoint answered 410; `failing`: 5 days of failures). */
  disabled_reason: z.string().nullable(),
});
/** `signing_secret` is null for a caller without webhooks:write (a read-only key, a dashboard viewer). */
export const webhookObject = webhookSummary.extend({ signing_secret: z.string().nullable() });
export const webhookList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(webhookSummary) });
export const createdWebhook = z.object({ object: z.literal('webhook'), id: z.string(), signing_secret: z.string() });
export const updatedWebhook = z.object({ object: z.literal('webhook'), id: z.string() });
export const deletedWebhook = z.object({ object: z.literal('webhook'), id: z.string(), deleted: z.literal(true) });

export type WebhookSummary = z.infer<typeof webhookSummary>;
export type WebhookObject = z.infer<typeof webhookObject>;

const deliveryStatus = z.enum(['success', 'pending', 'failed', 'attempting']);

export const webhookEventSummary = z.object({ id: z.string(), type: z.string(), created_at: z.string(), status: deliveryStatus });
export const webhookEventList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(webhookEventSummary) });
export const webhookEventObject = webhookEventSummary.extend({
  object: z.literal('webhook_event'),
  next_attempt_at: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
});
export const replayedWebhookEvent = z.object({ object: z.literal('webhook_event'), id: z.string() });

export const webhookAttempt = z.object({
  id: z.string(),
  /** 0 when no HTTP response came (refused address, timeout, connection error): `response` says why. */
  http_status_code: z.number().int(),
  response: z.string(),
  /** Beyond Resend. */
  duration_ms: z.number().int(),
  sent_at: z.string(),
});
export const webhookAttemptList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(webhookAttempt) });

export type WebhookEventSummary = z.infer<typeof webhookEventSummary>;
export type WebhookEventObject = z.infer<typeof webhookEventObject>;
export type WebhookAttempt = z.infer<typeof webhookAttempt>;
