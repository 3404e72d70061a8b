import type { ReactNode } from 'react';
import { ShownOnceDialog } from '../../components/shown-once-dialog.tsx';

type Props = { secret: string; rotated: boolean; onClose: () => void };

/** A signing secret just made (create or rotate), shown this once with a copy button. */
export function SecretDialog({ secret, rotated, onClose }: Props): ReactNode {
  return (
    <ShownOnceDialog
      title={rotated ? 'Signing secret rotated' : 'Webhook created'}
      name="webhook-secret"
      warning={
        <>
          <strong>Copy this signing secret now: you will not see it again here.</strong> Your endpoint needs it to check that each event came from
          Postgate. Members who can edit webhooks can reveal it later on the webhook’s page.
        </>
      }
      value={secret}
      valueTestId="signing-secret"
      copyLabel="Copy signing secret"
      onClose={onClose}
    >
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
    </ShownOnceDialog>
  );
}
