import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { TableHead } from '../../components/table-head.tsx';
import { api } from '../../api/client.ts';
import type { EmailDetail, EmailStatus, EmailSummary, List } from '../../api/types.ts';
import { Badge } from '../../components/badge.tsx';
import { LoadMore } from '../../components/load-more.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { navigate } from '../../lib/use-hash-route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { NO_ERRORS, useSubmit } from '../../lib/use-submit.ts';
import { EmailDetailPanel } from './email-detail.tsx';

const PAGE = 100;

const STATUSES: { value: EmailStatus; label: string }[] = [
  { value: 'queued', label: 'Queued' },
  { value: 'scheduled', label: 'Scheduled' },
  { value: 'sent', label: 'Sent' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'delivery_delayed', label: 'Delayed' },
  { value: 'bounced', label: 'Bounced' },
  { value: 'failed', label: 'Failed' },
  { value: 'suppressed', label: 'Suppressed' },
  { value: 'canceled', label: 'Canceled' },
];

/**
 * The email log, newest first, a page of 100 at a time. The filters (status, and free text on
 * recipients, sender, subject and id) apply to the emails loaded so far, which the page says when
 * older ones remain; the detail opens in a side panel at #/emails/<id>.
 */
export function EmailsPage({ selectedId }: { selectedId: string | undefined }): ReactNode {
  const first = useLoad(() => api.get<List<EmailSummary>>(`/emails?limit=${PAGE}`));
  const [older, setOlder] = useState<{ data: EmailSummary[]; has_more: boolean }>();
  const more = useSubmit();
  const [updated, setUpdated] = useState<Record<string, EmailStatus>>({});
  const [status, setStatus] = useState<EmailStatus | ''>('');
  const [query, setQuery] = useState('');

  const emails = useMemo(() => {
    const head = first.data?.data ?? [];
    const seen = new Set(head.map((e) => e.id));
    return [...head, ...(older?.data ?? []).filter((e) => !seen.has(e.id))].map((e) => (updated[e.id] ? { ...e, last_event: updated[e.id]! } : e));
  }, [first.data, older, updated]);
  const hasMore = older ? older.has_more : (first.data?.has_more ?? false);

  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return emails.filter((e) => (status === '' || e.last_event === status) && (needle === '' || haystack(e).includes(needle)));
  }, [emails, status, query]);
  const filtering = status !== '' || query.trim() !== '';

  const refresh = (): void => {
    setOlder(undefined);
    setUpdated({});
    more.setErrors(NO_ERRORS);
    first.reload();
  };

  const loadMore = async (): Promise<void> => {
    const last = emails[emails.length - 1];
    if (!last) return;
    await more.run(async () => {
      const page = await api.get<List<EmailSummary>>(`/emails?limit=${PAGE}&after=${encodeURIComponent(last.id)}`);
      setOlder((o) => ({ data: [...(o?.data ?? []), ...page.data], has_more: page.has_more }));
    });
  };

  // The panel reports what it loaded, so the row's badge follows a delivery the panel watched.
  const onStatus = useCallback((email: EmailDetail) => {
    setUpdated((u) => (u[email.id] === email.last_event ? u : { ...u, [email.id]: email.last_event }));
  }, []);

  return (
    <section aria-labelledby="emails-title">
      <div className="page-header">
        <div>
          <h1 id="emails-title">Emails</h1>
          <p className="muted">Every email accepted over the API or SMTP, newest first.</p>
        </div>
        <button type="button" className="button" onClick={refresh} disabled={first.loading}>
          {first.loading && first.data ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>

      {first.loading && !first.data ? <Loading label="Loading emails…" /> : null}
      {first.error ? <ErrorState error={first.error} onRetry={first.reload} /> : null}
      {first.data && emails.length === 0 ? (
        <EmptyState title="No emails yet">Send one with an API key, over HTTP or SMTP, and it appears here. Test keys’ emails are captured, never sent out.</EmptyState>
      ) : null}

      {emails.length > 0 ? (
        <>
          <form className="filters" role="search" aria-label="Filter emails" onSubmit={(e) => e.preventDefault()}>
            <div className="field">
              <label htmlFor="email-status">Status</label>
              <select id="email-status" value={status} onChange={(e) => setStatus(e.target.value as EmailStatus | '')}>
                <option value="">All statuses</option>
                {STATUSES.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field filters-search">
              <label htmlFor="email-search">Search</label>
              <input
                id="email-search"
                type="search"
                placeholder="Recipient, sender, subject or id"
                autoComplete="off"
                spellCheck={false}
                value={query}
                onChange={(e) => setQuery(e.target.value)}
              />
            </div>
          </form>
          <p className="muted filters-summary" aria-live="polite">
            {filtering ? `${shown.length} of ${emails.length} loaded emails match.` : `${emails.length} ${emails.length === 1 ? 'email' : 'emails'}.`}
            {hasMore && filtering ? ' Older emails are not searched until you load them.' : ''}
          </p>
          {shown.length === 0 ? (
            <EmptyState
              title="No emails match"
              action={
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setStatus('');
                    setQuery('');
                  }}
                >
                  Clear filters
                </button>
              }
            />
          ) : (
            <EmailsTable emails={shown} selectedId={selectedId} />
          )}
          {hasMore ? (
            <LoadMore label="Load older emails" busy={more.busy} error={more.errors.form} onLoad={() => void loadMore()} />
          ) : null}
        </>
      ) : null}

      {selectedId ? <EmailDetailPanel key={selectedId} id={selectedId} onClose={() => navigate('/emails')} onStatus={onStatus} /> : null}
    </section>
  );
}

function EmailsTable({ emails, selectedId }: { emails: EmailSummary[]; selectedId: string | undefined }): ReactNode {
  return (
    <table className="table responsive-table emails-table">
      <TableHead columns={['To', 'Subject', 'Status', 'Created']} />
      <tbody>
        {emails.map((e) => (
          <tr
            key={e.id}
            data-email={e.id}
            className={e.id === selectedId ? 'row-selected' : undefined}
            // The subject link is the keyboard's way in; a click anywhere on the row does the same.
            onClick={(event) => {
              if (!(event.target as HTMLElement).closest('a')) navigate(`/emails/${e.id}`);
            }}
          >
            <td data-label="To" className="email-to">
              <span>
                {e.to.join(', ')}
                {copies(e) > 0 ? <span className="muted" title="Cc and Bcc recipients"> +{copies(e)}</span> : null}
              </span>
            </td>
            <td data-label="Subject" className="email-subject">
              <a href={`#/emails/${e.id}`}>{e.subject || '(no subject)'}</a>
            </td>
            <td data-label="Status">
              <Badge value={e.last_event} />
            </td>
            <td data-label="Created" className="nowrap">
              <time dateTime={e.created_at}>{formatDateTime(e.created_at)}</time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const copies = (e: EmailSummary): number => (e.cc?.length ?? 0) + (e.bcc?.length ?? 0);

function haystack(e: EmailSummary): string {
  return [e.id, e.from, e.subject, ...e.to, ...(e.cc ?? []), ...(e.bcc ?? [])].join('\n').toLowerCase();
}
