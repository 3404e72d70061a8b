import type { ReactNode } from 'react';
import { TableHead } from './table-head.tsx';

type Props = {
  columns: readonly string[];
  /** A last, unlabelled column for each row's buttons. */
  actions?: boolean;
  /** The table's accessible name, or (labelledBy) the id of the heading that gives it. */
  label?: string;
  labelledBy?: string;
  /** Classes beside `table responsive-table`, for a table's own column styles. */
  className?: string;
  /** Marks the rows as stale while a newer page loads. */
  busy?: boolean;
  /** The rows. */
  children: ReactNode;
};

/** A scrollable data table; on narrow screens each row becomes a card (styles.css). */
export function DataTable({ columns, actions = false, label, labelledBy, className, busy, children }: Props): ReactNode {
  return (
    <div className="table-wrap">
      <table
        className={className ? `table responsive-table ${className}` : 'table responsive-table'}
        aria-label={label}
        aria-labelledby={labelledBy}
        aria-busy={busy || undefined}
      >
        <TableHead columns={columns} actions={actions} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
