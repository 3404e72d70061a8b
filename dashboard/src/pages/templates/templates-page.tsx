import type { ReactNode } from 'react';
import type { Session } from '../../api/types.ts';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { roleOf } from '../../lib/roles.ts';
import { useLoad } from '../../lib/use-load.ts';
import { loadTemplates } from './load-templates.ts';
import { TemplateCreate } from './template-create.tsx';
import { TemplateEditor } from './template-editor.tsx';
import { TemplatesTable } from './templates-table.tsx';
import './templates.css';

/**
 * The project's email templates: the list at #/templates, a new one at #/templates/new, one in the
 * editor at #/templates/<id>. Viewers read them and preview them; the write buttons are not shown
 * to them (the server refuses their writes in any case).
 */
export function TemplatesPage({ selectedId, session }: { selectedId: string | undefined; session: Session }): ReactNode {
  const templates = useLoad(loadTemplates);
  // templates:write is refused to viewers only (src/modules/team/roles.ts).
  const canEdit = roleOf(session) !== 'viewer';

  if (selectedId === 'new' && canEdit) return <TemplateCreate onCreated={templates.reload} />;
  if (selectedId) return <TemplateEditor key={selectedId} id={selectedId} canEdit={canEdit} onChanged={templates.reload} />;

  const newButton = canEdit ? (
    <a className="button button-primary" href="#/templates/new">
      New template
    </a>
  ) : null;
  const list = templates.data?.data ?? [];
  return (
    <section aria-labelledby="templates-title">
      <div className="page-header">
        <div>
          <h1 id="templates-title">Templates</h1>
          <p className="muted">
            Send with <code>{'template: { id, variables }'}</code>: emails use a template’s published version, so drafts can be edited safely.
          </p>
        </div>
        {newButton}
      </div>
      {templates.loading && !templates.data ? <Loading label="Loading templates…" /> : null}
      {templates.error ? <ErrorState error={templates.error} onRetry={templates.reload} /> : null}
      {templates.data && list.length === 0 ? (
        <EmptyState title="No templates yet" action={newButton}>
          Keep welcome, password reset and receipt emails here, with variables such as <code>{'{{{NAME}}}'}</code>, and edit them without a deploy.
        </EmptyState>
      ) : null}
      {list.length > 0 ? <TemplatesTable templates={list} /> : null}
      {templates.data?.has_more ? <p className="muted">The 100 newest templates are shown.</p> : null}
    </section>
  );
}
