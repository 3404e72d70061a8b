import type { ReactNode } from 'react';
import type { ApiKeyWithToken } from '../../api/types.ts';
import { CopyButton } from '../../components/copy-button.tsx';
import { Dialog } from '../../components/dialog.tsx';
import { formatDateTime } from '../../lib/format.ts';

type Props = { apiKey: ApiKeyWithToken; rotated: boolean; onClose: () => void };

/** The only time a token is ever shown: after create and after rotate. */
export function TokenDialog({ apiKey, rotated, onClose }: Props): ReactNode {
  return (
    <Dialog
      title={rotated ? 'API key rotated' : 'API key created'}
      name="token"
      onClose={onClose}
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <div className="callout callout-warning" role="note">
        <strong>Copy this key now.</strong> It won’t be shown again: Postgate keeps only a hash of it.
      </div>
      <div className="token-box">
        <code className="token" data-testid="token-value">
          {apiKey.token}
        </code>
        <CopyButton text={apiKey.token} label="Copy API key" autoFocus />
      </div>
      <p className="muted">
        Use it as <code>Authorization: Bearer …</code> or as the SMTP password of user <code>postgate</code>.
      </p>
      {rotated && apiKey.previous_token_expires_at ? (
        <p className="muted">The previous token keeps working until {formatDateTime(apiKey.previous_token_expires_at)}.</p>
      ) : null}
      {rotated && !apiKey.previous_token_expires_at ? <p className="muted">The previous token no longer works.</p> : null}
    </Dialog>
  );
}
