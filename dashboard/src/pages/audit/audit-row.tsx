import { Fragment, useState, type ReactNode } from 'react';
import type { AuditEvent } from '../../api/types.ts';
import { formatDateTime } from '../../lib/format.ts';

const COLUMNS = 5;

/** A value of the changes table: strings as they are, the rest as JSON, null as a dash. */
function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function actorLabel(actor: AuditEvent['actor']): string {
  return actor.name ?? actor.id ?? actor.type;
}

/** One event; its button expands a second row with the changes, the user agent and the request id. */
export function AuditRow({ event }: { event: AuditEvent }): ReactNode {
  const [open, setOpen] = useState(false);
  const detailId = `audit-detail-${event.id}`;
  const changes = Object.entries(event.changes ?? {});
  return (
    <Fragment>
      <tr data-audit-id={event.id} data-action={event.action}>
        <td data-label="Time" className="nowrap">
          <button
            type="button"
            className="audit-expand"
            aria-expanded={open}
            aria-controls={open ? detailId : undefined}
            aria-label={`${open ? 'Hide' : 'Show'} details of ${event.action} at ${formatDateTime(event.occurred_at)}`}
            onClick={() => setOpen(!open)}
          >
            <span className="audit-expand-icon" aria-hidden="true">
              {open ? '▾' : '▸'}
            </span>
            <time dateTime={event.occurred_at}>{formatDateTime(event.occurred_at)}</time>
          </button>
        </td>
        <td data-label="Actor">
          {actorLabel(event.actor)} <span className="muted">({event.actor.type})</span>
        </td>
        <td data-label="Action">
          <code>{event.action}</code>
        </td>
        <td data-label="Targets">
          {event.targets.length === 0 ? (
            <span className="muted">—</span>
          ) : (
            <ul className="audit-targets">
              {event.targets.map((t) => (
                <li key={`${t.type}:${t.id}`}>
                  <span className="muted">{t.type}</span> {t.name ?? ''} <code>{t.id}</code>
                </li>
              ))}
            </ul>
          )}
        </td>
        <td data-label="IP">{event.ip ?? <span className="muted">—</span>}</td>
      </tr>
      {open ? (
        <tr id={detailId} className="audit-detail">
          <td colSpan={COLUMNS}>
            <dl>
              <dt>Event id</dt>
              <dd>
                <code>{event.id}</code>
              </dd>
              <dt>Actor id</dt>
              <dd>{event.actor.id ? <code>{event.actor.id}</code> : '—'}</dd>
              <dt>User agent</dt>
              <dd>{event.user_agent ?? '—'}</dd>
              <dt>Request id</dt>
              <dd>{event.request_id ? <code>{event.request_id}</code> : '—'}</dd>
            </dl>
            {changes.length === 0 ? (
              <p className="muted">No field changes recorded.</p>
            ) : (
              <table className="audit-changes">
                <caption className="visually-hidden">Changes made by {event.action}</caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map(([field, change]) => (
                    <tr key={field} data-field={field}>
                      <th scope="row">
                        <code>{field}</code>
                      </th>
                      <td data-change="before">{show(change.before)}</td>
                      <td data-change="after">{show(change.after)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
