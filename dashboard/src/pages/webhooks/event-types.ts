// The event types a webhook may subscribe to, grouped as the picker shows them. A copy of
// EVENT_TYPES in src/modules/events/catalogue.ts (the dashboard is built on its own and imports
// nothing from src/); test/e2e/webhooks-dashboard.test.ts fails when the two lists differ.

export type EventTypeGroup = { label: string; types: readonly string[] };

export const EVENT_TYPE_GROUPS: readonly EventTypeGroup[] = [
  {
    label: 'Email',
    types: [
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
    ],
  },
  { label: 'Domain', types: ['domain.created', 'domain.updated', 'domain.deleted'] },
  { label: 'Suppression', types: ['suppression.added', 'suppression.removed'] },
  {
    label: 'API key',
    types: ['api_key.created', 'api_key.updated', 'api_key.rotated', 'api_key.deleted', 'api_key.expired', 'api_key.used_from_new_ip'],
  },
  {
    label: 'Contact and topic',
    types: ['contact.created', 'contact.updated', 'contact.deleted', 'contact.topics.updated', 'topic.created', 'topic.updated', 'topic.deleted'],
  },
];

export const ALL_EVENT_TYPES: readonly string[] = EVENT_TYPE_GROUPS.flatMap((group) => group.types);
