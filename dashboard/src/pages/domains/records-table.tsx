import type { ReactNode } from 'react';
import type { DomainRecord } from '../../api/types.ts';
import { TableHead } from '../../components/table-head.tsx';
import { Badge } from '../../components/badge.tsx';
import { CopyButton } from '../../components/copy-button.tsx';

/** The records to publish (TXT, and MX when receiving is on), each name and value with a copy button. */
export function RecordsTable({ records }: { records: DomainRecord[] }): ReactNode {
  return (
    <table className="table responsive-table records">
      <TableHead columns={['Record', 'Type', 'Name', 'Value', 'Status']} />
      <tbody>
        {records.map((r) => (
          <tr key={r.record} data-record={r.record}>
            <td data-label="Record">
              {r.record}
              {r.required ? null : <span className="muted"> (recommended)</span>}
            </td>
            <td data-label="Type">
              {r.type}
              {r.priority === undefined ? null : <span className="muted"> (priority {r.priority})</span>}
            </td>
            <td data-label="Name">
              <div className="copy-cell">
                <code className="record-name">{r.name}</code>
                <CopyButton text={r.name} label={`Copy ${r.record} record name`} />
              </div>
            </td>
            <td data-label="Value">
              <div className="copy-cell">
                <code className="record-value">{r.value}</code>
                <CopyButton text={r.value} label={`Copy ${r.record} record value`} />
              </div>
            </td>
            <td data-label="Status">
              <Badge value={r.status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
