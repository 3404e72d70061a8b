import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List } from '../../api/types.ts';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';
import { LoadMore } from '../../components/load-more.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { AddSuppressionForm } from './add-suppression-form.tsx';
import { ORIGINS, type Suppression, type SuppressionOrigin } from './suppression-types.ts';
import { SuppressionsTable } from './suppressions-table.tsx';

const PAGE = 50;

/** The project's suppression list, newest first, filtered by origin on the server, a page at a time. */
export function SuppressionsPage(): ReactNode {
  const [origin, setOrigin] = useState<SuppressionOrigin | ''>('');
  const base = `/suppressions?limit=${PAGE}${origin ? `&origin=${origin}` : ''}`;
  const first = useLoad(() => api.get<List<Suppression>>(base), [base]);
  const [older, setOlder] = useState<{ base: string; data: Suppression[]; has_more: boolean }>();
  const more = useSubmit();
  const [removing, setRemoving] = useState<Suppression>();
  const [notice, setNotice] = useState('');

  // Older pages belong to the filter they were loaded under.
  const olderPages = older?.base === base ? older : undefined;
  const head = first.data?.data ?? [];
  const seen = new Set(head.map((s) => s.id));
  const rows = [...head, ...(olderPages?.data ?? []).filter((s) => !seen.has(s.id))];
  const hasMore = olderPages ? olderPages.has_more : (first.data?.has_more ?? false);

  const refresh = (message: string): void => {
    setOlder(undefined);
    setNotice(message);
    first.reload();
  };

  const loadMore = async (): Promise<void> => {
    const last = rows[rows.length - 1];
    if (!last) return;
    await more.run(async () => {
      const page = await api.get<List<Suppression>>(`${base}&after=${encodeURIComponent(last.id)}`);
      setOlder({ base, data: [...(olderPages?.data ?? []), ...page.data], has_more: page.has_more });
    });
  };

  return (
    <section aria-labelledby="suppressions-title">
      <div className="page-header">
        <div>
          <h1 id="suppressions-title">Suppressions</h1>
          <p className="muted">Addresses Postgate never sends to: added by a hard bounce, a spam complaint, or by hand.</p>
        </div>
      </div>
      <AddSuppressionForm onAdded={(email) => refresh(`${email} is suppressed.`)} />
      <p className="visually-hidden" aria-live="polite">
        {notice}
      </p>

      <div className="filters">
        <div className="field">
          <label htmlFor="suppression-origin">Origin</label>
          <select id="suppression-origin" value={origin} onChange={(e) => setOrigin(e.target.value as SuppressionOrigin | '')}>
            <option value="">All origins</option>
            {ORIGINS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      </div>

      {first.loading && !first.data ? <Loading label="Loading suppressions…" /> : null}
      {first.error ? <ErrorState error={first.error} onRetry={first.reload} /> : null}
      {first.data && rows.length === 0 ? (
        <EmptyState title={origin ? 'No suppressions of this origin' : 'No suppressed addresses'}>
          Hard bounces and spam complaints add the address here by themselves; you can add one by hand above.
        </EmptyState>
      ) : null}
      {rows.length > 0 ? <SuppressionsTable suppressions={rows} onRemove={setRemoving} /> : null}
      {hasMore ? (
        <LoadMore label="Load more" busy={more.busy} error={more.errors.form} onLoad={() => void loadMore()} />
      ) : null}

      {removing ? (
        <ConfirmDeleteDialog
          name="remove-suppression"
          title={`Remove ${removing.email}?`}
          description="Postgate may send to this address again. If it still bounces or complains, it is suppressed again."
          confirmLabel="Remove suppression"
          onClose={() => setRemoving(undefined)}
          onConfirm={async () => {
            await api.delete(`/suppressions/${encodeURIComponent(removing.id)}`);
            setRemoving(undefined);
            refresh(`${removing.email} removed from suppressions.`);
          }}
        />
      ) : null}
    </section>
  );
}
