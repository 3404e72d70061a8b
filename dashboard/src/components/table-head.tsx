import type { ReactNode } from 'react';

/** The header row of a data table: one column header per label, and a last actions column if asked. */
export function TableHead({ columns, actions = false }: { columns: readonly string[]; actions?: boolean }): ReactNode {
  return (
    <thead>
      <tr>
        {columns.map((label) => (
          <th key={label} scope="col">
            {label}
          </th>
        ))}
        {actions ? (
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        ) : null}
      </tr>
    </thead>
  );
}
