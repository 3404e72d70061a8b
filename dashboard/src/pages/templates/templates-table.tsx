import type { ReactNode } from 'react';
import type { TemplateSummary } from '../../api/types.ts';
import { DataTable } from '../../components/data-table.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { TemplateStatusBadges } from './template-status.tsx';

export function TemplatesTable({ templates }: { templates: TemplateSummary[] }): ReactNode {
  return (
    <DataTable columns={['Name', 'Alias', 'Status', 'Updated']} label="Templates">
      {templates.map((t) => (
        <tr key={t.id} data-template-id={t.id}>
          <td data-label="Name" className="template-name">
            <a href={`#/templates/${t.id}`}>{t.name}</a>
          </td>
          <td data-label="Alias">{t.alias ? <code>{t.alias}</code> : <span className="muted">None</span>}</td>
          <td data-label="Status">
            <TemplateStatusBadges status={t.status} unpublished={t.has_unpublished_versions} />
          </td>
          <td data-label="Updated" className="nowrap">
            {formatDateTime(t.updated_at)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
