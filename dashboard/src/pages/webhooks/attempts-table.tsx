import type { ReactNode } from 'react';
import { TableHead } from '../../components/table-head.tsx';
import { formatDateTime } from '../../lib/format.ts';
import type { WebhookAttempt } from './webhook-types.ts';

/** Each POST of one event: when, what the endpoint answered (0: it never answered), how long it took. */
export function AttemptsTable({ attempts }: { attempts: WebhookAttempt[] }): ReactNode {
  if (attempts.length === 0) return <p className="muted">Not attempted yet.</p>;
  return (
    <table className="table responsive-table attempts-table" aria-label="Delivery attempts">
      <TableHead columns={['Sent', 'HTTP status', 'Duration', 'Response']} />
      <tbody>
        {attempts.map((attempt) => (
          <tr key={attempt.id} data-attempt-id={attempt.id}>
            <td data-label="Sent" className="nowrap">
              <time dateTime={attempt.sent_at}>{formatDateTime(attempt.sent_at)}</time>
            </td>
            <td data-label="HTTP status" className={`attempt-status ${attempt.http_status_code >= 200 && attempt.http_status_code < 300 ? 'attempt-ok' : 'attempt-failed'}`}>
              {attempt.http_status_code === 0 ? 'No response' : attempt.http_status_code}
            </td>
            <td data-label="Duration" className="nowrap">
              {attempt.duration_ms} ms
            </td>
            <td data-label="Response">
              {attempt.response ? <code className="attempt-response">{attempt.response}</code> : <span className="muted">(empty)</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
