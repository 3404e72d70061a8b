import type { ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import { Badge } from '../../components/badge.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';

type EmailSummary = { id: string; from?: string; to?: string[] | string; subject?: string; status?: string; last_event?: string; created_at?: string };
type Loaded = { available: false } | { available: true; emails: EmailSummary[] };

/**
 * The email log. It lists /dashboard/api/emails when the server has that route; a server
 * without it (404) gets an empty state that says so rather than an error.
 */
export function EmailsPage(): ReactNode {
  const emails = useLoad<Loaded>(async () => {
    try {
      const list = await api.get<{ data: EmailSummary[] }>('/emails?limit=50');
      return { available: true, emails: list.data };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return { available: false };
      throw error;
    }
  });

  return (
    <section aria-labelledby="emails-title">
      <div className="page-header">
        <div>
          <h1 id="emails-title">Emails</h1>
          <p className="muted">Every email accepted over the API or SMTP, newest first.</p>
        </div>
      </div>
      {emails.loading && !emails.data ? <Loading label="Loading emails…" /> : null}
      {emails.error ? <ErrorState error={emails.error} onRetry={emails.reload} /> : null}
      {emails.data && !emails.data.available ? (
        <EmptyState title="The email log is not available yet">
          This server does not offer the dashboard’s email log yet. Emails you send through the API are still accepted and delivered.
        </EmptyState>
      ) : null}
      {emails.data?.available && emails.data.emails.length === 0 ? (
        <EmptyState title="No emails yet">Send one with an API key, over HTTP or SMTP, and it appears here.</EmptyState>
      ) : null}
      {emails.data?.available && emails.data.emails.length > 0 ? (
        <table className="table responsive-table">
          <thead>
            <tr>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">From</th>
              <th scope="col">Status</th>
              <th scope="col">Sent</th>
            </tr>
          </thead>
          <tbody>
            {emails.data.emails.map((e) => (
              <tr key={e.id}>
                <td data-label="To">{Array.isArray(e.to) ? e.to.join(', ') : e.to}</td>
                <td data-label="Subject">{e.subject}</td>
                <td data-label="From">{e.from}</td>
                <td data-label="Status">{e.status ?? e.last_event ? <Badge value={e.status ?? e.last_event ?? ''} /> : null}</td>
                <td data-label="Sent">{formatDateTime(e.created_at ?? null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
