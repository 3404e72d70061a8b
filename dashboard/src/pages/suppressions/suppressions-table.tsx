import type { ReactNode } from 'react';
import { DataTable } from '../../components/data-table.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { ORIGINS, type Suppression } from './suppression-types.ts';

type Props = { suppressions: Suppression[]; onRemove: (suppression: Suppression) => void };

export function SuppressionsTable({ suppressions, onRemove }: Props): ReactNode {
  return (
    <DataTable columns={['Email', 'Origin', 'Caused by', 'Added']} actions label="Suppressed addresses">
      {suppressions.map((s) => (
        <tr key={s.id} data-suppression-id={s.id}>
          <td data-label="Email" className="suppression-email">
            {s.email}
          </td>
          <td data-label="Origin">
            <OriginBadge origin={s.origin} />
          </td>
          <td data-label="Caused by">
            {s.source_id ? (
              <a href={`#/emails/${s.source_id}`}>
                <code>{s.source_id}</code>
              </a>
            ) : (
              <span className="muted">—</span>
            )}
          </td>
          <td data-label="Added" className="nowrap">
            <time dateTime={s.created_at}>{formatDateTime(s.created_at)}</time>
          </td>
          <td className="row-actions">
            <button type="button" className="button button-small button-danger-quiet" onClick={() => onRemove(s)} aria-label={`Remove ${s.email}`}>
              Remove
            </button>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function OriginBadge({ origin }: { origin: Suppression['origin'] }): ReactNode {
  const known = ORIGINS.find((o) => o.value === origin);
  return <span className={`badge badge-${known?.tone ?? 'grey'}`}>{known?.label ?? origin}</span>;
}
