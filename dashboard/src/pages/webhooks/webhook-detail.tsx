import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import { ErrorState, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { navigate } from '../../lib/use-hash-route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { RevealSecret } from './reveal-secret.tsx';
import { WebhookActions } from './webhook-actions.tsx';
import { disabledReasonText, EndpointStatusBadge } from './webhook-badges.tsx';
import { WebhookEventLog } from './webhook-event-log.tsx';
import { WebhookEventPanel } from './webhook-event-panel.tsx';
import type { Webhook, WebhookWithSecret } from './webhook-types.ts';

type Props = { id: string; eventId: string | undefined; onChanged: () => void };

/** One endpoint: what it subscribes to, its actions, its signing secret on demand, its event log. */
export function WebhookDetail({ id, eventId, onChanged }: Props): ReactNode {
  const webhook = useLoad(async (): Promise<Webhook> => {
    // The only single-webhook read carries the signing secret: it is dropped here, so the secret
    // is shown only when a member asks for it (RevealSecret reads it again).
    const { signing_secret: _secret, ...rest } = await api.get<WebhookWithSecret>(`/webhooks/${encodeURIComponent(id)}`);
    return rest;
  }, [id]);
  // Bumped when an event is queued from here, so the event log reads its newest page again.
  const [logVersion, setLogVersion] = useState(0);
  const bumpLog = (): void => setLogVersion((v) => v + 1);

  if (webhook.loading && !webhook.data) return <Loading label="Loading webhook…" />;
  if (webhook.error) {
    return (
      <section aria-labelledby="webhook-title">
        <a href="#/webhooks" className="back-link">
          ← All webhooks
        </a>
        <h1 id="webhook-title">Webhook</h1>
        <ErrorState error={webhook.error} onRetry={webhook.reload} />
      </section>
    );
  }
  const w = webhook.data;
  if (!w) return null;
  const reason = disabledReasonText(w);
  return (
    <section className="panel" aria-labelledby="webhook-title">
      <div className="page-header">
        <div className="webhook-heading">
          <a href="#/webhooks" className="back-link">
            ← All webhooks
          </a>
          <h1 id="webhook-title">
            <span className="webhook-endpoint">{w.endpoint}</span> <EndpointStatusBadge status={w.status} />
          </h1>
          <p className="muted">
            Created {formatDateTime(w.created_at)} · <code>{w.id}</code>
          </p>
        </div>
      </div>
      {reason ? (
        <div className="callout callout-warning" role="note">
          {reason} Fix the endpoint, then enable it again.
        </div>
      ) : null}
      <WebhookActions
        webhook={w}
        onChanged={() => {
          webhook.reload();
          onChanged();
        }}
        onTestQueued={bumpLog}
        onDeleted={onChanged}
      />
      <section aria-labelledby="webhook-subscribed-title">
        <h2 id="webhook-subscribed-title">Subscribed events</h2>
        <ul className="event-chips">
          {w.events.map((type) => (
            <li key={type}>
              <code>{type}</code>
            </li>
          ))}
        </ul>
      </section>
      <RevealSecret webhookId={w.id} />
      <WebhookEventLog webhookId={w.id} selectedEventId={eventId} version={logVersion} />
      {eventId ? (
        <WebhookEventPanel key={eventId} webhookId={w.id} eventId={eventId} onClose={() => navigate(`/webhooks/${w.id}`)} onReplayed={bumpLog} />
      ) : null}
    </section>
  );
}
