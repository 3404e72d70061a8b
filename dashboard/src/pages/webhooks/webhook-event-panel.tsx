import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { ErrorState, FormError, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { usePollWhileInFlight } from './in-flight.ts';
import { AttemptsTable } from './attempts-table.tsx';
import { DeliveryStatusBadge } from './webhook-badges.tsx';
import type { QueuedEvent, WebhookAttempt, WebhookEventDetail } from './webhook-types.ts';

type Loaded = { event: WebhookEventDetail; attempts: List<WebhookAttempt> };

type Props = { webhookId: string; eventId: string; onClose: () => void; onReplayed: () => void };

/** One event sent to an endpoint, in a side panel: its payload, each attempt, and replay. */
export function WebhookEventPanel({ webhookId, eventId, onClose, onReplayed }: Props): ReactNode {
  const path = `/webhooks/${encodeURIComponent(webhookId)}/events/${encodeURIComponent(eventId)}`;
  const loaded = useLoad<Loaded>(async () => {
    const [event, attempts] = await Promise.all([api.get<WebhookEventDetail>(path), api.get<List<WebhookAttempt>>(`${path}/attempts?limit=100`)]);
    return { event, attempts };
  }, [path]);
  const replaying = useSubmit();
  const event = loaded.data?.event;
  usePollWhileInFlight(loaded.data, event ? [event.status] : [], loaded.reload);

  const replay = (): Promise<void> =>
    replaying.run(async () => {
      await api.post<QueuedEvent>(`${path}/replay`);
      loaded.reload();
      onReplayed();
    });

  return (
    <Dialog
      title={event ? event.type : 'Event'}
      name="webhook-event"
      variant="panel"
      onClose={onClose}
      description={
        event ? (
          <span className="email-meta">
            <DeliveryStatusBadge status={event.status} /> <code>{event.id}</code> <span>· {formatDateTime(event.created_at)}</span>
          </span>
        ) : undefined
      }
      footer={
        <button type="button" className="button button-primary" onClick={() => void replay()} disabled={replaying.busy || !event}>
          {replaying.busy ? 'Replaying…' : 'Replay'}
        </button>
      }
    >
      {loaded.loading && !loaded.data ? <Loading label="Loading event…" /> : null}
      {loaded.error ? <ErrorState error={loaded.error} onRetry={loaded.reload} /> : null}
      <FormError message={replaying.errors.form} />
      {event && loaded.data ? (
        <>
          {event.next_attempt_at ? <p className="muted">Next attempt: {formatDateTime(event.next_attempt_at)}.</p> : null}
          <section aria-labelledby="webhook-attempts-title">
            <h3 id="webhook-attempts-title">Attempts</h3>
            <AttemptsTable attempts={loaded.data.attempts.data} />
            {loaded.data.attempts.has_more ? <p className="muted">The 100 latest attempts are shown.</p> : null}
          </section>
          <section aria-labelledby="webhook-payload-title">
            <h3 id="webhook-payload-title">Payload</h3>
            {/* Focusable so a keyboard can scroll a long payload (axe: scrollable-region-focusable). */}
            <pre className="webhook-payload" tabIndex={0} role="region" aria-labelledby="webhook-payload-title">
              {JSON.stringify(event.payload, null, 2)}
            </pre>
          </section>
        </>
      ) : null}
    </Dialog>
  );
}
