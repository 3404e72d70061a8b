import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List, SessionSummary } from '../../api/types.ts';
import { ErrorState, FormError, Loading } from '../../components/states.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';

/** This user's sessions: where and when each started; end one, or every other. */
export function SessionsSection(): ReactNode {
  const sessions = useLoad(() => api.get<List<SessionSummary>>('/sessions'));
  const revocation = useSubmit();
  // Whether it worked or not, the list shows what is true now.
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    await revocation.run(action);
    sessions.reload();
  };
  const others = sessions.data?.data.filter((s) => !s.current).length ?? 0;

  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <FormError message={revocation.errors.form} />
      {sessions.loading && !sessions.data ? <Loading label="Loading sessions…" /> : null}
      {sessions.error ? <ErrorState error={sessions.error} onRetry={sessions.reload} /> : null}
      {sessions.data ? (
        <DataTable columns={['Device', 'IP address', 'Signed in', 'Expires']} actions labelledBy="sessions-title">
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
        </DataTable>
      ) : null}
      {others > 0 ? (
        <button type="button" className="button" onClick={() => void run(() => api.post('/sessions/revoke-others'))}>
          Sign out everywhere else
        </button>
      ) : null}
    </section>
  );
}
