import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Project } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';

type Props = { project: Project; onClose: () => void; onRenamed: (project: Project) => void };

/** Renames a project; the API's error is shown under the name or at the form level. */
export function RenameProjectDialog({ project, onClose, onRenamed }: Props): ReactNode {
  const [name, setName] = useState(project.name);
  const [error, setError] = useState<{ field?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (name.trim() === '') {
      setError({ field: 'Give the project a name.' });
      return;
    }
    setBusy(true);
    setError({});
    try {
      onRenamed(await api.patch<Project>(`/projects/${project.id}`, { name: name.trim() }));
    } catch (e) {
      const split = splitError(e, ['name'] as const);
      setError({ field: split.fields.name, form: split.form });
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Rename ${project.name}`}
      name="rename-project"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="rename-project-form" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save name'}
          </button>
        </>
      }
    >
      <form id="rename-project-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Name" error={error.field}>
          {(props) => <input {...props} data-autofocus maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <FormError message={error.form} />
      </form>
    </Dialog>
  );
}
