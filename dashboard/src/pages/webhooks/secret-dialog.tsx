import type { ReactNode } from 'react';
import { CopyButton } from '../../components/copy-button.tsx';
import { Dialog } from '../../components/dialog.tsx';

type Props = { secret: string; rotated: boolean; onClose: () => void };

/** A signing secret just made (create or rotate), shown this once with a copy button. */
export function SecretDialog({ secret, rotated, onClose }: Props): ReactNode {
  return (
    <Dialog
      title={rotated ? 'Signing secret rotated' : 'Webhook created'}
      name="webhook-secret"
      onClose={onClose}
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <div className="callout callout-warning" role="note">
        <strong>Copy this signing secret now: you will not see it again here.</strong> Your endpoint needs it to check that each event came
        from Postgate. Members who may read webhooks can reveal it later on the webhook’s page.
      </div>
      <div className="token-box">
        <code className="token" data-testid="signing-secret">
          {secret}
        </code>
        <CopyButton text={secret} label="Copy signing secret" autoFocus />
      </div>
      {rotated ? (
        <p className="muted">
          The old secret keeps working for 24 hours: until then every delivery carries a signature with each, so you can deploy the new one without
          losing an event.
        </p>
      ) : (
        <p className="muted">
          Verify deliveries with <code>resend.webhooks.verify()</code> or any Standard Webhooks library (<code>webhook-id</code>,{' '}
          <code>webhook-timestamp</code> and <code>webhook-signature</code> headers).
        </p>
      )}
    </Dialog>
  );
}
