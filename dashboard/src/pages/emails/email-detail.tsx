import { useEffect, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { EmailDetail, EmailEvent } from '../../api/types.ts';
import { Badge } from '../../components/badge.tsx';
import { Dialog } from '../../components/dialog.tsx';
import { ErrorState, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';
import { EmailTemplate } from './email-template.tsx';
import { renderCaptured, renderStored, type Rendered } from './message.ts';
import { MessageView } from './message-view.tsx';

/** While delivery is under way the panel checks again this often. */
const POLL_MS = 3000;
const IN_FLIGHT = new Set(['queued', 'delivery_delayed']);

type Loaded = { email: EmailDetail; message: Rendered };

/** One email in a side panel: who and what, the events of its delivery, the message itself. */
export function EmailDetailPanel({ id, onClose, onStatus }: { id: string; onClose: () => void; onStatus: (email: EmailDetail) => void }): ReactNode {
  const loaded = useLoad<Loaded>(async () => {
    const [email, raw] = await Promise.all([
      api.get<EmailDetail>(`/emails/${encodeURIComponent(id)}`),
      // null (404): no captured copy (relay mail, or not delivered yet). Then, or when the copy
      // cannot be read, the content stored with the email stands in.
      api.bytes(`/emails/${encodeURIComponent(id)}/raw`).catch(() => null),
    ]);
    const captured = raw ? await renderCaptured(raw).catch(() => undefined) : undefined;
    return { email, message: captured ?? renderStored(email) };
  }, [id]);

  const email = loaded.data?.email;
  const status = email?.last_event;
  const { reload } = loaded;
  useEffect(() => {
    if (!email) return undefined;
    onStatus(email);
    if (!status || !IN_FLIGHT.has(status)) return undefined;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
    // onStatus is left out on purpose: only a new answer matters here.
  }, [email, status, reload]);

  const title = email ? email.subject || '(no subject)' : 'Email';
  return (
    <Dialog
      title={title}
      name="email-detail"
      variant="panel"
      onClose={onClose}
      description={
        email ? (
          <span className="email-meta">
            <Badge value={email.last_event} /> <code>{email.id}</code> <span>· {formatDateTime(email.created_at)}</span>
          </span>
        ) : undefined
      }
    >
      {loaded.loading && !loaded.data ? <Loading label="Loading email…" /> : null}
      {loaded.error ? <ErrorState error={loaded.error} onRetry={loaded.reload} /> : null}
      {email && loaded.data ? (
        <>
          {email.scheduled_at ? <p className="muted">Scheduled for {formatDateTime(email.scheduled_at)}.</p> : null}
          <section aria-labelledby="email-events-title">
            <h3 id="email-events-title">Events</h3>
            <Timeline events={email.events} />
          </section>
          <EmailTemplate email={email} />
          <section aria-labelledby="email-message-title">
            <h3 id="email-message-title">Message</h3>
            <p className="muted message-source-note">
              {loaded.data.message.source === 'captured'
                ? 'As captured by Postgate: exactly what the recipient would get, signature included.'
                : 'As submitted. Only mail the capture transport kept (test keys, or no relay) has its final, signed copy here.'}
            </p>
            <MessageView message={loaded.data.message} emailId={email.id} />
            {email.tags.length > 0 ? (
              <p className="muted">
                Tags:{' '}
                {email.tags.map((t) => (
                  <code key={`${t.name}=${t.value}`} className="tag">
                    {t.name}={t.value}
                  </code>
                ))}
              </p>
            ) : null}
          </section>
        </>
      ) : null}
    </Dialog>
  );
}

function Timeline({ events }: { events: EmailEvent[] }): ReactNode {
  if (events.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline">
      {events.map((e, i) => (
        <li key={`${e.type}-${e.created_at}-${i}`} className={`timeline-item timeline-${e.type}`}>
          <span className="timeline-dot" aria-hidden="true" />
          <div>
            <div className="timeline-head">
              <Badge value={e.type} />
              <time dateTime={e.created_at}>{formatDateTime(e.created_at)}</time>
            </div>
            {e.detail ? <p className="timeline-detail">{e.detail}</p> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
