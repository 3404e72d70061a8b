import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/states.tsx';
import type { WebhookSecret } from './webhook-types.ts';

type Props = { webhookId: string; onClose: () => void; onRotated: (secret: string) => void };

/** "Rotate the signing secret?": the server keeps the old one signing beside the new for 24 hours. */
export function RotateSecretDialog({ webhookId, onClose, onRotated }: Props): ReactNode {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const rotate = async (): Promise<void> => {
    setBusy(true);
    try {
      const rotated = await api.post<WebhookSecret>(`/webhooks/${encodeURIComponent(webhookId)}/signing-secret/rotate`);
      onRotated(rotated.signing_secret);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Rotate signing secret?"
      name="rotate-webhook-secret"
      description="A new secret signs every delivery from now on. The old one keeps working for 24 hours: deliveries carry both signatures until then, so your endpoint can switch without missing an event."
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button button-primary" onClick={() => void rotate()} disabled={busy}>
            {busy ? 'Rotating…' : 'Rotate secret'}
          </button>
        </>
      }
    >
      <FormError message={error} />
    </Dialog>
  );
}
