import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';
import { FormError } from '../../components/states.tsx';
import { navigate } from '../../lib/use-hash-route.ts';
import { RotateSecretDialog } from './rotate-secret-dialog.tsx';
import { SecretDialog } from './secret-dialog.tsx';
import { WebhookFormDialog } from './webhook-form-dialog.tsx';
import type { QueuedEvent, Webhook } from './webhook-types.ts';

type Props = {
  webhook: Webhook;
  /** The webhook changed (status, events, endpoint): reload it and the list. */
  onChanged: () => void;
  /** A test event was queued: the event log should show it. */
  onTestQueued: (eventId: string) => void;
  onDeleted: () => void;
};

type Open = 'edit' | 'rotate' | 'delete' | { secret: string } | undefined;

/** What a member can do to an endpoint. A viewer sees the buttons too; the server's refusal is shown. */
export function WebhookActions({ webhook, onChanged, onTestQueued, onDeleted }: Props): ReactNode {
  const [open, setOpen] = useState<Open>();
  const [busy, setBusy] = useState<'test' | 'status'>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState('');
  const path = `/webhooks/${encodeURIComponent(webhook.id)}`;
  const close = (): void => setOpen(undefined);
  const enabled = webhook.status === 'enabled';

  const run = async (kind: 'test' | 'status', action: () => Promise<string>): Promise<void> => {
    setBusy(kind);
    setError(undefined);
    setNotice('');
    try {
      setNotice(await action());
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(undefined);
    }
  };
  const sendTest = (): Promise<void> =>
    run('test', async () => {
      const queued = await api.post<QueuedEvent>(`${path}/test`);
      onTestQueued(queued.id);
      return 'Test event queued: it appears in the event log below.';
    });
  const toggle = (): Promise<void> =>
    run('status', async () => {
      await api.patch(path, { status: enabled ? 'disabled' : 'enabled' });
      onChanged();
      return enabled ? 'Webhook disabled.' : 'Webhook enabled.';
    });

  return (
    <>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={() => void sendTest()} disabled={busy !== undefined}>
          {busy === 'test' ? 'Sending…' : 'Send test event'}
        </button>
        <button type="button" className="button" onClick={() => void toggle()} disabled={busy !== undefined}>
          {enabled ? 'Disable webhook' : 'Enable webhook'}
        </button>
        <button type="button" className="button" onClick={() => setOpen('edit')}>
          Edit
        </button>
        <button type="button" className="button" onClick={() => setOpen('rotate')}>
          Rotate secret
        </button>
        <button type="button" className="button button-danger-quiet" onClick={() => setOpen('delete')}>
          Delete
        </button>
      </div>
      <p className="webhook-notice muted" aria-live="polite">
        {notice}
      </p>
      <FormError message={error} />

      {open === 'edit' ? (
        <WebhookFormDialog
          name="edit-webhook"
          title="Edit webhook"
          submitLabel="Save changes"
          busyLabel="Saving…"
          initial={{ endpoint: webhook.endpoint, events: webhook.events }}
          onClose={close}
          onSubmit={async (value) => {
            await api.patch(path, value);
            close();
            onChanged();
          }}
        />
      ) : null}
      {open === 'rotate' ? <RotateSecretDialog webhookId={webhook.id} onClose={close} onRotated={(secret) => setOpen({ secret })} /> : null}
      {typeof open === 'object' ? <SecretDialog secret={open.secret} rotated onClose={close} /> : null}
      {open === 'delete' ? (
        <ConfirmDeleteDialog
          name="delete-webhook"
          title="Delete this webhook?"
          description={
            <>
              Postgate stops sending events to <code>{webhook.endpoint}</code>, and its event log is deleted with it. This cannot be undone.
            </>
          }
          confirmLabel="Delete webhook"
          onClose={close}
          onConfirm={async () => {
            await api.delete(path);
            onDeleted();
            navigate('/webhooks');
          }}
        />
      ) : null}
    </>
  );
}
