import { useEffect, useState, type ReactNode } from 'react';
import { api } from '../api/client.ts';
import type { List, Project, Session } from '../api/types.ts';

/**
 * The project the dashboard shows: keys, domains, emails and analytics are those of one project
 * (as a key sees only its own). Switching is remembered by the session; the page reloads so every
 * view reads the new project.
 */
export function ProjectSwitcher({ session }: { session: Session }): ReactNode {
  const [projects, setProjects] = useState<Project[]>([]);
  const [switching, setSwitching] = useState(false);

  useEffect(() => {
    api.get<List<Project>>('/projects?limit=100').then((list) => setProjects(list.data), () => setProjects([]));
  }, []);

  if (projects.length < 2) return null;
  const current = session.project_id ?? projects.find((p) => p.default)?.id ?? '';
  return (
    <div className="project-switcher">
      <span aria-hidden="true">Project</span>
      {/* Named by aria-label: a wrapping label would fold the options' text into the name. */}
      <select
        aria-label="Project"
        value={current}
        disabled={switching}
        onChange={(event) => {
          setSwitching(true);
          api.post('/session/project', { project_id: event.target.value }).then(
            () => window.location.reload(),
            () => setSwitching(false),
          );
        }}
      >
        {projects.map((project) => (
          <option key={project.id} value={project.id}>
            {project.name}
          </option>
        ))}
      </select>
    </div>
  );
}
