import type { ReactNode } from 'react';
import { DataTable } from '../../components/data-table.tsx';
import type { ApiKey, DomainSummary } from '../../api/types.ts';
import { Badge } from '../../components/badge.tsx';
import { formatAgo, formatDate } from '../../lib/format.ts';

export type KeyAction = 'edit' | 'usage' | 'rotate' | 'delete';

type Props = { keys: ApiKey[]; domains: DomainSummary[]; onAction: (action: KeyAction, key: ApiKey) => void };

/** The keys of the organization; on narrow screens each row becomes a card (styles.css). */
export function KeysTable({ keys, domains, onAction }: Props): ReactNode {
  const domainName = (id: string): string => domains.find((d) => d.id === id)?.name ?? id;
  return (
    <DataTable columns={['Name', 'Token', 'Permission', 'Domains', 'Allowed IPs', 'Created', 'Last used']} actions>
      {keys.map((key) => (
        <tr key={key.id} data-key-id={key.id}>
          <td data-label="Name">
            <div>
              <strong>{key.name}</strong>
              {key.mode === 'test' ? <span className="badge badge-amber">Test</span> : null}
              {key.stale ? <Badge value="stale" /> : null}
              {key.permission === 'custom' ? <div className="scope-chips">{key.scopes.join(', ')}</div> : null}
            </div>
          </td>
          <td data-label="Token">
            <code className="redacted">{key.redacted_token}</code>
          </td>
          <td data-label="Permission">
            <Badge value={key.permission} />
          </td>
          <td data-label="Domains">
            {key.permission === 'full_access' || key.domain_ids.length === 0 ? (
              <span className="muted">All</span>
            ) : (
              key.domain_ids.map(domainName).join(', ')
            )}
          </td>
          <td data-label="Allowed IPs">{key.allowed_ips.length === 0 ? <span className="muted">Any</span> : key.allowed_ips.join(', ')}</td>
          <td data-label="Created" className="nowrap">
            {formatDate(key.created_at)}
          </td>
          <td data-label="Last used" className="nowrap">
            {formatAgo(key.last_used_at)}
          </td>
          <td className="row-actions">
            <button type="button" className="button button-small" onClick={() => onAction('edit', key)} aria-label={`Edit ${key.name}`}>
              Edit
            </button>
            <button type="button" className="button button-small" onClick={() => onAction('usage', key)} aria-label={`Usage of ${key.name}`}>
              Usage
            </button>
            <button type="button" className="button button-small" onClick={() => onAction('rotate', key)} aria-label={`Rotate ${key.name}`}>
              Rotate
            </button>
            <button
              type="button"
              className="button button-small button-danger-quiet"
              onClick={() => onAction('delete', key)}
              aria-label={`Delete ${key.name}`}
            >
              Delete
            </button>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
