import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import type { WebhookSecret } from './webhook-types.ts';

type Props = { webhookId: string; onClose: () => void; onRotated: (secret: string) => void };

/** "Rotate the signing secret?": the server keeps the old one signing beside the new for 24 hours. */
export function RotateSecretDialog({ webhookId, onClose, onRotated }: Props): ReactNode {
  return (
    <ConfirmDialog
      name="rotate-webhook-secret"
      title="Rotate signing secret?"
      description="A new secret signs every delivery from now on. The old one keeps working for 24 hours: deliveries carry both signatures until then, so your endpoint can switch without missing an event."
      confirmLabel="Rotate secret"
      busyLabel="Rotating…"
      tone="primary"
      onClose={onClose}
      onConfirm={async () => {
        const rotated = await api.post<WebhookSecret>(`/webhooks/${encodeURIComponent(webhookId)}/signing-secret/rotate`);
        onRotated(rotated.signing_secret);
      }}
    />
  );
}
