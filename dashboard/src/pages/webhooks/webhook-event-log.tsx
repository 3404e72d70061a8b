import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List } from '../../api/types.ts';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { LoadMore } from '../../components/load-more.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { usePollWhileInFlight } from './in-flight.ts';
import { DeliveryStatusBadge } from './webhook-badges.tsx';
import type { WebhookEventSummary } from './webhook-types.ts';

const PAGE = 25;

type Props = {
  webhookId: string;
  selectedEventId: string | undefined;
  /** Bumped by the page when it queued an event (test, replay): the newest page is read again. */
  version: number;
};

/** The events sent (or being sent) to one endpoint, newest first, older pages on demand. */
export function WebhookEventLog({ webhookId, selectedEventId, version }: Props): ReactNode {
  const base = `/webhooks/${encodeURIComponent(webhookId)}/events?limit=${PAGE}`;
  const first = useLoad(() => api.get<List<WebhookEventSummary>>(base), [base, version]);
  const [older, setOlder] = useState<{ data: WebhookEventSummary[]; has_more: boolean }>();
  const more = useSubmit();
  usePollWhileInFlight(first.data, first.data?.data.map((e) => e.status) ?? [], first.reload);

  const head = first.data?.data ?? [];
  const seen = new Set(head.map((e) => e.id));
  const events = [...head, ...(older?.data ?? []).filter((e) => !seen.has(e.id))];
  const hasMore = older ? older.has_more : (first.data?.has_more ?? false);

  const loadMore = async (): Promise<void> => {
    const last = events[events.length - 1];
    if (!last) return;
    await more.run(async () => {
      const page = await api.get<List<WebhookEventSummary>>(`${base}&after=${encodeURIComponent(last.id)}`);
      setOlder((o) => ({ data: [...(o?.data ?? []), ...page.data], has_more: page.has_more }));
    });
  };

  return (
    <section aria-labelledby="webhook-events-title">
      <div className="section-header">
        <h2 id="webhook-events-title">Event log</h2>
        <button type="button" className="button button-small" onClick={first.reload} disabled={first.loading}>
          {first.loading && first.data ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        An event’s id is the <code>webhook-id</code> header your endpoint received: the same on every retry and replay.
      </p>
      {first.loading && !first.data ? <Loading label="Loading events…" /> : null}
      {first.error ? <ErrorState error={first.error} onRetry={first.reload} /> : null}
      {first.data && events.length === 0 ? (
        <EmptyState title="No events yet">Events this endpoint subscribes to appear here as they happen. Send a test event to try it.</EmptyState>
      ) : null}
      {events.length > 0 ? (
        <DataTable className="webhook-events-table" columns={['Event', 'Status', 'Event id', 'Created']} label="Events sent to this endpoint">
          {events.map((event) => (
            <tr key={event.id} data-event-id={event.id} className={event.id === selectedEventId ? 'row-selected' : undefined}>
              <td data-label="Event">
                <a href={`#/webhooks/${webhookId}/events/${event.id}`}>{event.type}</a>
              </td>
              <td data-label="Status">
                <DeliveryStatusBadge status={event.status} />
              </td>
              <td data-label="Event id">
                <code>{event.id}</code>
              </td>
              <td data-label="Created" className="nowrap">
                <time dateTime={event.created_at}>{formatDateTime(event.created_at)}</time>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {hasMore ? (
        <LoadMore label="Load older events" busy={more.busy} error={more.errors.form} onLoad={() => void loadMore()} />
      ) : null}
    </section>
  );
}
