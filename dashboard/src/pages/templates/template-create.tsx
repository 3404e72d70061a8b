import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { TemplateRef } from '../../api/types.ts';
import { EmptyState } from '../../components/states.tsx';
import { navigate } from '../../lib/use-hash-route.ts';
import { bodyOf, EMPTY_TEMPLATE } from './template-form-value.ts';
import { TemplateForm } from './template-form.tsx';
import { useTemplateForm } from './use-template-form.ts';

/** #/templates/new: the editor's form, empty; creating saves a draft and opens it in the editor. */
export function TemplateCreate({ onCreated }: { onCreated: () => void }): ReactNode {
  const form = useTemplateForm(EMPTY_TEMPLATE);
  const formId = 'template-create-form';
  const create = (): Promise<void> =>
    form.run(
      'create',
      async () => {
        const created = await api.post<TemplateRef>('/templates', bodyOf(form.value));
        onCreated();
        navigate(`/templates/${created.id}`);
      },
      { checked: true },
    );

  return (
    <section className="template-editor" aria-labelledby="template-title">
      <div className="page-header">
        <div className="template-heading">
          <a href="#/templates" className="back-link">
            ← All templates
          </a>
          <h1 id="template-title">New template</h1>
          <p className="muted">It is saved as a draft: publish it to send with it.</p>
        </div>
        <div className="button-row">
          <button type="submit" form={formId} className="button button-primary" disabled={form.busy !== undefined}>
            {form.busy ? 'Creating…' : 'Create template'}
          </button>
        </div>
      </div>
      <div className="template-columns">
        <TemplateForm id={formId} form={form} readOnly={false} onSubmit={() => void create()} />
        <section className="template-preview" aria-labelledby="template-preview-title">
          <h2 id="template-preview-title">Preview</h2>
          <EmptyState title="Nothing to preview yet">Create the template to preview it here with sample values.</EmptyState>
        </section>
      </div>
    </section>
  );
}
