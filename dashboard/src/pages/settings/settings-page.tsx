import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List, Project } from '../../api/types.ts';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { formatDate } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';
import { CreateProjectForm } from './create-project-form.tsx';
import { RenameProjectDialog } from './rename-project-dialog.tsx';

type Open = { kind: 'rename' | 'delete'; project: Project } | undefined;

/** The organization's settings: its projects, created, renamed and (when empty) deleted. */
export function SettingsPage(): ReactNode {
  const projects = useLoad(() => api.get<List<Project>>('/projects?limit=100'));
  const [open, setOpen] = useState<Open>();
  const close = (): void => setOpen(undefined);

  return (
    <section aria-labelledby="settings-title">
      <div className="page-header">
        <div>
          <h1 id="settings-title">Settings</h1>
          <p className="muted">Projects group the organization’s keys, domains and emails.</p>
        </div>
      </div>

      <section aria-labelledby="projects-title">
        <h2 id="projects-title">Projects</h2>
        <CreateProjectForm onCreated={projects.reload} />
        {projects.loading && !projects.data ? <Loading label="Loading projects…" /> : null}
        {projects.error ? <ErrorState error={projects.error} onRetry={projects.reload} /> : null}
        {projects.data && projects.data.data.length === 0 ? <EmptyState title="No projects yet">Create one above.</EmptyState> : null}
        {projects.data && projects.data.data.length > 0 ? (
          <DataTable columns={['Name', 'Id', 'Created']} actions labelledBy="projects-title">
            {projects.data.data.map((p) => (
              <tr key={p.id} data-project-id={p.id}>
                <td data-label="Name">
                  <strong>{p.name}</strong> {p.default ? <span className="badge badge-violet">Default</span> : null}
                </td>
                <td data-label="Id">
                  <code>{p.id}</code>
                </td>
                <td data-label="Created" className="nowrap">
                  {formatDate(p.created_at)}
                </td>
                <td className="row-actions">
                  <button type="button" className="button button-small" onClick={() => setOpen({ kind: 'rename', project: p })} aria-label={`Rename ${p.name}`}>
                    Rename
                  </button>
                  <button
                    type="button"
                    className="button button-small button-danger-quiet"
                    onClick={() => setOpen({ kind: 'delete', project: p })}
                    aria-label={`Delete ${p.name}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        ) : null}
      </section>

      {open?.kind === 'rename' ? (
        <RenameProjectDialog
          project={open.project}
          onClose={close}
          onRenamed={() => {
            close();
            projects.reload();
          }}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDeleteDialog
          name="delete-project"
          title={`Delete ${open.project.name}?`}
          description={<>Only an empty project can be deleted, and never the default one. This cannot be undone.</>}
          confirmLabel="Delete project"
          onClose={close}
          onConfirm={async () => {
            await api.delete(`/projects/${open.project.id}`);
            close();
            projects.reload();
          }}
        />
      ) : null}
    </section>
  );
}
