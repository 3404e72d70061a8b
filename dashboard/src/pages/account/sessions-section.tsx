import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List, SessionSummary } from '../../api/types.ts';
import { ErrorState, FormError, Loading } from '../../components/states.tsx';
import { TableHead } from '../../components/table-head.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';

/** This user's sessions: where and when each started; end one, or every other. */
export function SessionsSection(): ReactNode {
  const sessions = useLoad(() => api.get<List<SessionSummary>>('/sessions'));
  const [error, setError] = useState<string>();
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    sessions.reload();
  };
  const others = sessions.data?.data.filter((s) => !s.current).length ?? 0;

  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <FormError message={error} />
      {sessions.loading && !sessions.data ? <Loading label="Loading sessions…" /> : null}
      {sessions.error ? <ErrorState error={sessions.error} onRetry={sessions.reload} /> : null}
      {sessions.data ? (
        <div className="table-wrap">
          <table className="table responsive-table" aria-labelledby="sessions-title">
            <TableHead columns={['Device', 'IP address', 'Signed in', 'Expires']} actions />
            <tbody>
              {sessions.data.data.map((s) => (
                <tr key={s.id} data-session-id={s.id}>
                  <td data-label="Device">
                    {s.user_agent ?? 'Unknown'} {s.current ? <span className="badge badge-violet">This session</span> : null}
                  </td>
                  <td data-label="IP address">{s.ip ?? '—'}</td>
                  <td data-label="Signed in" className="nowrap">
                    {formatDateTime(s.created_at)}
                  </td>
                  <td data-label="Expires" className="nowrap">
                    {formatDateTime(s.expires_at)}
                  </td>
                  <td className="row-actions">
                    {s.current ? null : (
                      <button type="button" className="button button-small button-danger-quiet" onClick={() => void run(() => api.delete(`/sessions/${s.id}`))}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {others > 0 ? (
        <button type="button" className="button" onClick={() => void run(() => api.post('/sessions/revoke-others'))}>
          Sign out everywhere else
        </button>
      ) : null}
    </section>
  );
}
