import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { AuditEvent, List } from '../../api/types.ts';
import { DataTable } from '../../components/data-table.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { useLoad } from '../../lib/use-load.ts';
import { AuditRow } from './audit-row.tsx';
import './audit.css';

const PAGE = 50;

type Filters = { action: string; actor_id: string; target_id: string; since: string; until: string };
const NO_FILTERS: Filters = { action: '', actor_id: '', target_id: '', since: '', until: '' };

/** `after` an id: the older page; `before` an id: the newer one; neither: the newest. */
type Cursor = { direction: 'after' | 'before'; id?: string };

/** A date input's day, from the start of that local day (since) or to its end (until), in ISO. */
function dayBound(day: string, end: boolean): string {
  const start = new Date(`${day}T00:00:00`);
  return new Date(start.getTime() + (end ? 86_400_000 - 1 : 0)).toISOString();
}

function query(filters: Filters, cursor: Cursor): string {
  const params = new URLSearchParams({ limit: String(PAGE) });
  for (const key of ['action', 'actor_id', 'target_id'] as const) if (filters[key].trim()) params.set(key, filters[key].trim());
  if (filters.since) params.set('since', dayBound(filters.since, false));
  if (filters.until) params.set('until', dayBound(filters.until, true));
  if (cursor.id) params.set(cursor.direction, cursor.id);
  return params.toString();
}

/** Every change made through any interface, newest first, a page at a time with the list's cursors. */
export function AuditPage(): ReactNode {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [cursor, setCursor] = useState<Cursor>({ direction: 'after' });
  const events = useLoad(() => api.get<List<AuditEvent>>(`/audit-logs?${query(applied, cursor)}`), [applied, cursor]);
  const rows = events.data?.data ?? [];
  const filtering = Object.values(applied).some((v) => v.trim() !== '');

  // Going back (before) from an older page: older events exist; forward from the first page: none newer.
  const hasOlder = cursor.direction === 'before' ? rows.length > 0 : (events.data?.has_more ?? false);
  const hasNewer = cursor.direction === 'before' ? (events.data?.has_more ?? false) : cursor.id !== undefined;

  const apply = (event: FormEvent): void => {
    event.preventDefault();
    setApplied(draft);
    setCursor({ direction: 'after' });
  };
  const clear = (): void => {
    setDraft(NO_FILTERS);
    setApplied(NO_FILTERS);
    setCursor({ direction: 'after' });
  };
  const input = (key: keyof Filters, label: string, props: { type?: string; placeholder?: string } = {}): ReactNode => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        type={props.type ?? 'text'}
        placeholder={props.placeholder}
        autoComplete="off"
        spellCheck={false}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </div>
  );

  return (
    <section aria-labelledby="audit-title">
      <div className="page-header">
        <div>
          <h1 id="audit-title">Audit log</h1>
          <p className="muted">Every change made in the organization, from the dashboard, the API or the CLI, newest first.</p>
        </div>
        <button type="button" className="button" onClick={events.reload} disabled={events.loading}>
          {events.loading && events.data ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>

      <form className="filters audit-filters" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        {input('action', 'Action', { placeholder: 'api_key.created or api_key.*' })}
        {input('actor_id', 'Actor id')}
        {input('target_id', 'Target id')}
        {input('since', 'Since', { type: 'date' })}
        {input('until', 'Until', { type: 'date' })}
        <div className="audit-filter-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          <button type="button" className="button" onClick={clear} disabled={!filtering && Object.values(draft).every((v) => v === '')}>
            Clear filters
          </button>
        </div>
      </form>

      {events.loading && !events.data ? <Loading label="Loading the audit log…" /> : null}
      {events.error ? <ErrorState error={events.error} onRetry={events.reload} /> : null}
      {events.data && rows.length === 0 ? (
        <EmptyState title={filtering ? 'No events match' : 'No events yet'}>
          {filtering ? 'Change or clear the filters.' : 'Changes to keys, domains, projects and the team appear here.'}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <DataTable className="audit-table" columns={['Time', 'Actor', 'Action', 'Targets', 'IP']} label="Audit events" busy={events.loading}>
          {rows.map((event) => (
            <AuditRow key={event.id} event={event} />
          ))}
        </DataTable>
      ) : null}

      {hasNewer || hasOlder ? (
        <nav className="audit-paging" aria-label="Audit log pages">
          <button
            type="button"
            className="button"
            disabled={!hasNewer || events.loading}
            onClick={() => setCursor(rows[0] ? { direction: 'before', id: rows[0].id } : { direction: 'after' })}
          >
            Previous (newer)
          </button>
          <button
            type="button"
            className="button"
            disabled={!hasOlder || events.loading}
            onClick={() => setCursor({ direction: 'after', id: rows[rows.length - 1]!.id })}
          >
            Next (older)
          </button>
        </nav>
      ) : null}
    </section>
  );
}
