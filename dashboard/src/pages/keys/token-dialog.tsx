import type { ReactNode } from 'react';
import type { ApiKeyWithToken } from '../../api/types.ts';
import { ShownOnceDialog } from '../../components/shown-once-dialog.tsx';
import { formatDateTime } from '../../lib/format.ts';

type Props = { apiKey: ApiKeyWithToken; rotated: boolean; onClose: () => void };

/** The only time a token is ever shown: after create and after rotate. */
export function TokenDialog({ apiKey, rotated, onClose }: Props): ReactNode {
  return (
    <ShownOnceDialog
      title={rotated ? 'API key rotated' : 'API key created'}
      name="token"
      warning={
        <>
          <strong>Copy this key now.</strong> It won’t be shown again: Postgate keeps only a hash of it.
        </>
      }
      value={apiKey.token}
      valueTestId="token-value"
      copyLabel="Copy API key"
      onClose={onClose}
    >
      <p className="muted">
        Use it as <code>Authorization: Bearer …</code> or as the SMTP password of user <code>postgate</code>.
      </p>
      {rotated && apiKey.previous_token_expires_at ? (
        <p className="muted">The previous token keeps working until {formatDateTime(apiKey.previous_token_expires_at)}.</p>
      ) : null}
      {rotated && !apiKey.previous_token_expires_at ? <p className="muted">The previous token no longer works.</p> : null}
    </ShownOnceDialog>
  );
}
