import type { ReactNode } from 'react';
import type { MetricsRow } from '../../api/types.ts';
import { EmptyState } from '../../components/states.tsx';
import { TableHead } from '../../components/table-head.tsx';
import { countOf, formatRate } from './series.ts';

type BreakdownProps = {
  /** The column naming each row: "Domain", "API key". */
  heading: string;
  rows: MetricsRow[];
  labelOf: (row: MetricsRow) => string;
  keyOf: (row: MetricsRow) => string;
};

/** One row per domain or key, most mail first, with a bar of its share of the accepted emails. */
export function BreakdownTable({ heading, rows, labelOf, keyOf }: BreakdownProps): ReactNode {
  if (rows.length === 0) return <EmptyState title="No emails in this range" />;
  const sorted = [...rows].sort((a, b) => countOf(b, 'received') - countOf(a, 'received'));
  const most = Math.max(1, ...sorted.map((row) => countOf(row, 'received')));
  return (
    <table className="table responsive-table analytics-breakdown">
      <TableHead columns={[heading, 'Accepted', 'Delivered', 'Bounced', 'Failed', 'Delivery rate']} />
      <tbody>
        {sorted.map((row) => (
          <tr key={keyOf(row)} data-row={labelOf(row)}>
            <td data-label={heading} className="breakdown-name">
              {labelOf(row)}
            </td>
            <td data-label="Accepted" data-metric="received">
              <span className="breakdown-count">{countOf(row, 'received')}</span>
              <span className="breakdown-bar" aria-hidden="true" style={{ width: `${(countOf(row, 'received') / most) * 100}%` }} />
            </td>
            <td data-label="Delivered" data-metric="delivered">{countOf(row, 'delivered')}</td>
            <td data-label="Bounced" data-metric="bounced">{countOf(row, 'bounced')}</td>
            <td data-label="Failed" data-metric="failed">{countOf(row, 'failed')}</td>
            <td data-label="Delivery rate">{formatRate(row.delivery_rate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
