import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Template, TemplateRef } from '../../api/types.ts';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';
import { ErrorState, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { navigate } from '../../lib/use-hash-route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { bodyOf, formOf, sameForm } from './template-form-value.ts';
import { TemplateForm } from './template-form.tsx';
import { TemplatePreview } from './template-preview.tsx';
import { TemplateStatusBadges } from './template-status.tsx';
import { useTemplateForm } from './use-template-form.ts';

type Props = {
  id: string;
  /** Whether the member may change templates (not a viewer): otherwise the editor only reads. */
  canEdit: boolean;
  /** A template was changed, copied or deleted: the list should read again. */
  onChanged: () => void;
};

/** One template at #/templates/<id>: its draft in the form, the preview beside it, its actions. */
export function TemplateEditor({ id, canEdit, onChanged }: Props): ReactNode {
  const template = useLoad(() => api.get<Template>(`/templates/${encodeURIComponent(id)}`), [id]);
  if (template.loading && !template.data) return <Loading label="Loading template…" />;
  if (template.error || !template.data) {
    return (
      <section aria-labelledby="template-title">
        <BackLink />
        <h1 id="template-title">Template</h1>
        {template.error ? <ErrorState error={template.error} onRetry={template.reload} /> : null}
      </section>
    );
  }
  return (
    <TemplateWorkspace
      template={template.data}
      canEdit={canEdit}
      onSaved={() => {
        template.reload();
        onChanged();
      }}
      onChanged={onChanged}
    />
  );
}

function BackLink(): ReactNode {
  return (
    <a href="#/templates" className="back-link">
      ← All templates
    </a>
  );
}

type WorkspaceProps = { template: Template; canEdit: boolean; onSaved: () => void; onChanged: () => void };

function TemplateWorkspace({ template, canEdit, onSaved, onChanged }: WorkspaceProps): ReactNode {
  const saved = useMemo(() => formOf(template), [template]);
  const form = useTemplateForm(saved);
  const { reset } = form;
  // Read back after a save or publish: the stored draft is the form again.
  useEffect(() => reset(saved), [reset, saved]);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [notice, setNotice] = useState('');
  const dirty = !sameForm(form.value, saved);
  const path = `/templates/${encodeURIComponent(template.id)}`;
  const formId = 'template-form';

  const act = (kind: string, action: () => Promise<string>, checked = false): Promise<void> =>
    form.run(
      kind,
      async () => {
        setNotice('');
        setNotice(await action());
      },
      { checked },
    );
  const save = (): Promise<void> =>
    act(
      'save',
      async () => {
        await api.patch<TemplateRef>(path, bodyOf(form.value));
        onSaved();
        return 'Draft saved.';
      },
      true,
    );
  // Publishing publishes what is on screen: unsaved edits are saved first.
  const publish = (): Promise<void> =>
    act(
      'publish',
      async () => {
        if (dirty) await api.patch<TemplateRef>(path, bodyOf(form.value));
        await api.post<TemplateRef>(`${path}/publish`);
        onSaved();
        return 'Published: emails sent with this template use this version from now on.';
      },
      dirty,
    );
  const duplicate = (): Promise<void> =>
    act('duplicate', async () => {
      const copy = await api.post<TemplateRef>(`${path}/duplicate`);
      onChanged();
      navigate(`/templates/${copy.id}`);
      return '';
    });

  const nothingToPublish = template.status === 'published' && !template.has_unpublished_versions && !dirty;
  const busy = form.busy !== undefined;
  return (
    <section className="template-editor" aria-labelledby="template-title">
      <div className="page-header">
        <div className="template-heading">
          <BackLink />
          <h1 id="template-title">
            {template.name} <TemplateStatusBadges status={template.status} unpublished={template.has_unpublished_versions} />
          </h1>
          <p className="muted">
            Updated {formatDateTime(template.updated_at)}
            {template.published_at ? ` · published ${formatDateTime(template.published_at)}` : ''} · <code>{template.id}</code>
          </p>
        </div>
        {canEdit ? (
          <div className="button-row">
            <button type="submit" form={formId} className="button" disabled={busy || !dirty}>
              {form.busy === 'save' ? 'Saving…' : 'Save draft'}
            </button>
            <button type="button" className="button button-primary" onClick={() => void publish()} disabled={busy || nothingToPublish}>
              {form.busy === 'publish' ? 'Publishing…' : 'Publish'}
            </button>
            <button type="button" className="button" onClick={() => void duplicate()} disabled={busy}>
              {form.busy === 'duplicate' ? 'Duplicating…' : 'Duplicate'}
            </button>
            <button type="button" className="button button-danger-quiet" onClick={() => setConfirmDelete(true)} disabled={busy}>
              Delete
            </button>
          </div>
        ) : null}
      </div>
      <p className="template-notice muted" aria-live="polite">
        {dirty && canEdit ? 'Unsaved changes.' : notice}
      </p>
      <div className="template-columns">
        <TemplateForm id={formId} form={form} readOnly={!canEdit} onSubmit={() => void save()} />
        <TemplatePreview template={template} stale={dirty} />
      </div>
      {confirmDelete ? (
        <ConfirmDeleteDialog
          name="delete-template"
          title={`Delete ${template.name}?`}
          description={
            <>
              Its draft and published versions are deleted, and emails sent with <code>{template.alias ?? template.id}</code> are refused from now on. This cannot be undone.
            </>
          }
          confirmLabel="Delete template"
          onClose={() => setConfirmDelete(false)}
          onConfirm={async () => {
            await api.delete(path);
            onChanged();
            navigate('/templates');
          }}
        />
      ) : null}
    </section>
  );
}
