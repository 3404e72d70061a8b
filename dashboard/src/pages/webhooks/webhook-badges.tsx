import type { ReactNode } from 'react';
import type { DeliveryStatus, Webhook, WebhookStatus } from './webhook-types.ts';

// The pills of this page, in the shared badge colours (styles.css): kept here because these
// statuses mean something only for webhooks ("failed" is an event that will not be retried).

const ENDPOINT: Record<WebhookStatus, { tone: string; label: string }> = {
  enabled: { tone: 'green', label: 'Enabled' },
  disabled: { tone: 'grey', label: 'Disabled' },
};

const DELIVERY: Record<DeliveryStatus, { tone: string; label: string }> = {
  success: { tone: 'green', label: 'Success' },
  pending: { tone: 'amber', label: 'Pending' },
  attempting: { tone: 'blue', label: 'Attempting' },
  failed: { tone: 'red', label: 'Failed' },
};

export function EndpointStatusBadge({ status }: { status: WebhookStatus }): ReactNode {
  const { tone, label } = ENDPOINT[status] ?? { tone: 'grey', label: status };
  return <span className={`badge badge-${tone}`}>{label}</span>;
}

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }): ReactNode {
  const { tone, label } = DELIVERY[status] ?? { tone: 'grey', label: status };
  return <span className={`badge badge-${tone}`}>{label}</span>;
}

/** Why Postgate turned the endpoint off, in words; undefined when a member disabled it (or it is on). */
export function disabledReasonText(webhook: Pick<Webhook, 'status' | 'disabled_reason'>): string | undefined {
  if (webhook.status !== 'disabled' || !webhook.disabled_reason) return undefined;
  if (webhook.disabled_reason === 'gone') return 'Postgate disabled it: the endpoint answered 410 Gone.';
  if (webhook.disabled_reason === 'failing') return 'Postgate disabled it: every delivery failed for 5 days.';
  return `Postgate disabled it (${webhook.disabled_reason}).`;
}
