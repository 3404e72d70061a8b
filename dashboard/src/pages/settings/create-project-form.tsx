import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Project } from '../../api/types.ts';
import { OneFieldForm } from '../../components/one-field-form.tsx';

/** Creates a project by name. */
export function CreateProjectForm({ onCreated }: { onCreated: (project: Project) => void }): ReactNode {
  return (
    <OneFieldForm
      label="Project name"
      field="name"
      input={{ maxLength: 100, placeholder: 'Like Marketing or Staging', autoComplete: 'off' }}
      submitLabel="Create project"
      busyLabel="Creating…"
      onSubmit={async (name) => onCreated(await api.post<Project>('/projects', { name: name.trim() }))}
    />
  );
}
