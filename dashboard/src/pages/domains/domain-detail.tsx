import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Domain } from '../../api/types.ts';
import { Badge } from '../../components/badge.tsx';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';
import { ErrorState, FormError, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { navigate } from '../../lib/use-hash-route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { RecordsTable } from './records-table.tsx';

/** One domain: its region and capabilities, its records, a DNS check, and deletion. */
export function DomainDetail({ id, onChanged }: { id: string; onChanged: () => void }): ReactNode {
  const domain = useLoad(() => api.get<Domain>(`/domains/${id}`), [id]);
  const verification = useSubmit();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const verify = (): Promise<void> =>
    verification.run(async () => {
      domain.set(await api.post<Domain>(`/domains/${id}/verify`));
      onChanged();
    });

  if (domain.loading && !domain.data) return <Loading label="Loading domain…" />;
  if (domain.error) return <ErrorState error={domain.error} onRetry={domain.reload} />;
  const d = domain.data;
  if (!d) return null;
  return (
    <section className="panel" aria-labelledby="domain-title">
      <div className="page-header">
        <div>
          <a href="#/domains" className="back-link">
            ← All domains
          </a>
          <h2 id="domain-title">
            {d.name} <Badge value={d.status} />
          </h2>
          <p className="muted">
            Publish these records at your DNS host, then check them. Last checked: {formatDateTime(d.last_checked_at, 'never')}.
          </p>
          <p className="muted">
            Region {d.region} (kept for Resend clients: Postgate sends from where it runs) · Receiving {d.capabilities.receiving}
          </p>
        </div>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => void verify()} disabled={verification.busy}>
            {verification.busy ? 'Checking DNS…' : 'Verify DNS records'}
          </button>
          <button type="button" className="button button-danger-quiet" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        </div>
      </div>
      <p className="visually-hidden" aria-live="polite">
        {verification.busy ? '' : `Status: ${d.status}`}
      </p>
      <FormError message={verification.errors.form} />
      <RecordsTable records={d.records} />
      {confirmDelete ? <DeleteDomainDialog name={d.name} id={d.id} onClose={() => setConfirmDelete(false)} onDeleted={onChanged} /> : null}
    </section>
  );
}

function DeleteDomainDialog({ id, name, onClose, onDeleted }: { id: string; name: string; onClose: () => void; onDeleted: () => void }): ReactNode {
  return (
    <ConfirmDeleteDialog
      name="delete-domain"
      title={`Delete ${name}?`}
      description="Mail from this domain is refused from now on. Keys limited to it keep the limit (they send from nowhere)."
      confirmLabel="Delete domain"
      onClose={onClose}
      onConfirm={async () => {
        await api.delete(`/domains/${id}`);
        onDeleted();
        navigate('/domains');
      }}
    />
  );
}
