import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Project } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { DialogActions } from '../../components/dialog-actions.tsx';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';

type Props = { project: Project; onClose: () => void; onRenamed: (project: Project) => void };

/** Renames a project; the API's error is shown under the name or at the form level. */
export function RenameProjectDialog({ project, onClose, onRenamed }: Props): ReactNode {
  const [name, setName] = useState(project.name);
  const { busy, errors, run, setErrors } = useSubmit(['name'], { closesOnSuccess: true });

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (name.trim() === '') {
      setErrors({ fields: { name: 'Give the project a name.' }, form: undefined });
      return;
    }
    await run(async () => onRenamed(await api.patch<Project>(`/projects/${project.id}`, { name: name.trim() })));
  };

  return (
    <Dialog
      title={`Rename ${project.name}`}
      name="rename-project"
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} label="Save name" busyLabel="Saving…" busy={busy} form="rename-project-form" />}
    >
      <form id="rename-project-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Name" error={errors.fields.name}>
          {(props) => <input {...props} data-autofocus maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <FormError message={errors.form} />
      </form>
    </Dialog>
  );
}
