// The event types a webhook may subscribe to: Resend's names (the `resend` SDK's WebhookEvent)
// plus Postgate's API key events, for security teams. Types of resources Postgate does not have
// yet (contacts, topics, inbound) are accepted, so a subscription written against Resend works,
// and fire once those resources exist.

export const EMAIL_EVENT_NAMES = [
  'email.sent',
  'email.scheduled',
  'email.delivered',
  'email.delivery_delayed',
  'email.complained',
  'email.bounced',
  'email.opened',
  'email.clicked',
  'email.received',
  'email.failed',
  'email.suppressed',
] as const;

export const API_KEY_EVENT_NAMES = [
  'api_key.created',
  'api_key.updated',
  'api_key.rotated',
  'api_key.deleted',
  'api_key.expired',
  'api_key.used_from_new_ip',
] as const;

export const EVENT_TYPES = [
  ...EMAIL_EVENT_NAMES,
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.topics.updated',
  'domain.created',
  'domain.updated',
  'domain.deleted',
  'suppression.added',
  'suppression.removed',
  'topic.created',
  'topic.updated',
  'topic.deleted',
  ...API_KEY_EVENT_NAMES,
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: string): value is EventType {
  return KNOWN.has(value);
}
