import type { ReactNode } from 'react';
import { TableHead } from '../../components/table-head.tsx';
import { api } from '../../api/client.ts';
import type { DomainSummary, List } from '../../api/types.ts';
import { Badge } from '../../components/badge.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { formatDate } from '../../lib/format.ts';
import { navigate } from '../../lib/use-hash-route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { AddDomainForm } from './add-domain-form.tsx';
import { DomainDetail } from './domain-detail.tsx';

export function DomainsPage({ selectedId }: { selectedId: string | undefined }): ReactNode {
  const domains = useLoad(() => api.get<List<DomainSummary>>('/domains?limit=100'));
  if (selectedId) return <DomainDetail id={selectedId} onChanged={domains.reload} />;
  return (
    <section aria-labelledby="domains-title">
      <div className="page-header">
        <div>
          <h1 id="domains-title">Domains</h1>
          <p className="muted">Mail is sent only from verified domains, and signed with DKIM.</p>
        </div>
      </div>
      <AddDomainForm
        onAdded={(domain) => {
          domains.reload();
          navigate(`/domains/${domain.id}`);
        }}
      />
      {domains.loading && !domains.data ? <Loading label="Loading domains…" /> : null}
      {domains.error ? <ErrorState error={domains.error} onRetry={domains.reload} /> : null}
      {domains.data && domains.data.data.length === 0 ? (
        <EmptyState title="No domains yet">Add the domain you send from; Postgate shows the DNS records to publish.</EmptyState>
      ) : null}
      {domains.data && domains.data.data.length > 0 ? (
        <table className="table responsive-table">
          <TableHead columns={['Domain', 'Status', 'Added']} />
          <tbody>
            {domains.data.data.map((d) => (
              <tr key={d.id}>
                <td data-label="Domain">
                  <a href={`#/domains/${d.id}`}>{d.name}</a>
                </td>
                <td data-label="Status">
                  <Badge value={d.status} />
                </td>
                <td data-label="Added">{formatDate(d.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
