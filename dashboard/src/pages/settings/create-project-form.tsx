import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Project } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';

/** Creates a project by name. */
export function CreateProjectForm({ onCreated }: { onCreated: (project: Project) => void }): ReactNode {
  const [name, setName] = useState('');
  const [error, setError] = useState<{ field?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError({});
    try {
      const project = await api.post<Project>('/projects', { name: name.trim() });
      setName('');
      onCreated(project);
    } catch (e) {
      const split = splitError(e, ['name'] as const);
      setError({ field: split.fields.name, form: split.form });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate>
      <Field label="Project name" error={error.field}>
        {(props) => <input {...props} maxLength={100} placeholder="Like Marketing or Staging" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <button type="submit" className="button button-primary" disabled={busy || name.trim() === ''}>
        {busy ? 'Creating…' : 'Create project'}
      </button>
      <FormError message={error.form} />
    </form>
  );
}
