import type { ReactNode } from 'react';

const TONES: Record<string, string> = {
  verified: 'green',
  failed: 'red',
  pending: 'amber',
  not_started: 'grey',
  full_access: 'violet',
  sending_access: 'blue',
  custom: 'grey',
  queued: 'grey',
  scheduled: 'blue',
  sent: 'green',
  delivered: 'green',
  delivery_delayed: 'amber',
  bounced: 'red',
  suppressed: 'amber',
  canceled: 'grey',
  stale: 'amber',
};

const LABELS: Record<string, string> = {
  verified: 'Verified',
  failed: 'Failed',
  pending: 'Pending',
  not_started: 'Not started',
  full_access: 'Full access',
  sending_access: 'Sending only',
  custom: 'Custom',
  queued: 'Queued',
  scheduled: 'Scheduled',
  sent: 'Sent',
  delivered: 'Delivered',
  delivery_delayed: 'Delayed',
  bounced: 'Bounced',
  suppressed: 'Suppressed',
  canceled: 'Canceled',
  stale: 'Stale',
};

/** A status or permission pill. */
export function Badge({ value }: { value: string }): ReactNode {
  return <span className={`badge badge-${TONES[value] ?? 'grey'}`}>{LABELS[value] ?? value}</span>;
}
