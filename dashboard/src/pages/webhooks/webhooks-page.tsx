import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { List } from '../../api/types.ts';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { navigate } from '../../lib/use-hash-route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { SecretDialog } from './secret-dialog.tsx';
import { WebhookDetail } from './webhook-detail.tsx';
import { WebhookFormDialog } from './webhook-form-dialog.tsx';
import type { Webhook, WebhookSecret } from './webhook-types.ts';
import { WebhooksTable } from './webhooks-table.tsx';
import './webhooks.css';

type Open = { kind: 'create' } | { kind: 'secret'; secret: string } | undefined;

/**
 * Webhook endpoints of the project: the list at #/webhooks, one endpoint with its event log at
 * #/webhooks/<id>, and one event of it at #/webhooks/<id>/events/<event id>.
 */
export function WebhooksPage({ selectedId, eventId }: { selectedId: string | undefined; eventId: string | undefined }): ReactNode {
  const webhooks = useLoad(() => api.get<List<Webhook>>('/webhooks?limit=100'));
  const [open, setOpen] = useState<Open>();
  const close = (): void => setOpen(undefined);

  // Rendered whichever view is shown: creating opens the new endpoint's page behind the secret.
  const dialogs = (
    <>
      {open?.kind === 'create' ? (
        <WebhookFormDialog
          name="create-webhook"
          title="Add webhook"
          submitLabel="Add webhook"
          busyLabel="Adding…"
          initial={{ endpoint: '', events: [] }}
          onClose={close}
          onSubmit={async (value) => {
            const created = await api.post<WebhookSecret>('/webhooks', value);
            setOpen({ kind: 'secret', secret: created.signing_secret });
            webhooks.reload();
            navigate(`/webhooks/${created.id}`);
          }}
        />
      ) : null}
      {open?.kind === 'secret' ? <SecretDialog secret={open.secret} rotated={false} onClose={close} /> : null}
    </>
  );

  if (selectedId) {
    return (
      <>
        <WebhookDetail key={selectedId} id={selectedId} eventId={eventId} onChanged={webhooks.reload} />
        {dialogs}
      </>
    );
  }

  const addButton = (
    <button type="button" className="button button-primary" onClick={() => setOpen({ kind: 'create' })}>
      Add webhook
    </button>
  );
  const list = webhooks.data?.data ?? [];
  return (
    <section aria-labelledby="webhooks-title">
      <div className="page-header">
        <div>
          <h1 id="webhooks-title">Webhooks</h1>
          <p className="muted">Postgate POSTs each event you subscribe to, signed, and retries a failed delivery 7 times over about 28 hours.</p>
        </div>
        {addButton}
      </div>
      {webhooks.loading && !webhooks.data ? <Loading label="Loading webhooks…" /> : null}
      {webhooks.error ? <ErrorState error={webhooks.error} onRetry={webhooks.reload} /> : null}
      {webhooks.data && list.length === 0 ? (
        <EmptyState title="No webhooks yet" action={addButton}>
          Add an endpoint to hear about sent, delivered and bounced emails, domain changes, suppressions and API key activity.
        </EmptyState>
      ) : null}
      {list.length > 0 ? <WebhooksTable webhooks={list} /> : null}
      {webhooks.data?.has_more ? <p className="muted">The 100 newest webhooks are shown.</p> : null}
      {dialogs}
    </section>
  );
}
