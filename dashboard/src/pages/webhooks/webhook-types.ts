// Shapes of the webhooks API's answers (src/modules/webhooks/schemas.ts: Resend's shapes, with
// Postgate's `disabled_reason`, `duration_ms` and the `webhook.test` event beyond them).

export type WebhookStatus = 'enabled' | 'disabled';

/** Why Postgate disabled an endpoint itself: it answered 410 Gone, or it failed for 5 days. */
export type DisabledReason = 'gone' | 'failing';

export type Webhook = {
  object: 'webhook';
  id: string;
  endpoint: string;
  created_at: string;
  status: WebhookStatus;
  events: string[];
  disabled_reason: DisabledReason | string | null;
};

/** GET /webhooks/:id: the only single-webhook read, and it carries the signing secret. */
/** `signing_secret` is null for a member who may not edit webhooks (a viewer). */
export type WebhookWithSecret = Webhook & { signing_secret: string | null };

/** POST /webhooks and POST /webhooks/:id/signing-secret/rotate. */
export type WebhookSecret = { object: 'webhook'; id: string; signing_secret: string };

export type DeliveryStatus = 'success' | 'pending' | 'failed' | 'attempting';

export type WebhookEventSummary = { id: string; type: string; created_at: string; status: DeliveryStatus };

export type WebhookEventDetail = WebhookEventSummary & {
  object: 'webhook_event';
  next_attempt_at: string | null;
  payload: Record<string, unknown>;
};

export type WebhookAttempt = {
  id: string;
  /** 0 when no HTTP response came (refused address, timeout, connection error): `response` says why. */
  http_status_code: number;
  response: string;
  duration_ms: number;
  sent_at: string;
};

/** POST /webhooks/:id/test and POST .../events/:eventId/replay: the event (delivery) queued. */
export type QueuedEvent = { object: 'webhook_event'; id: string };
