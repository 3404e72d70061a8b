import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { ApiKey } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/states.tsx';

type Props = { apiKey: ApiKey; onClose: () => void; onDeleted: (id: string) => void };

export function DeleteKeyDialog({ apiKey, onClose, onDeleted }: Props): ReactNode {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await api.delete(`/api-keys/${apiKey.id}`);
      onDeleted(apiKey.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Delete ${apiKey.name}?`}
      description={
        <>
          Every request made with <code>{apiKey.redacted_token}</code> is refused from now on, on every instance. This cannot be undone.
        </>
      }
      name="delete-key"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button button-danger" onClick={() => void remove()} disabled={busy}>
            {busy ? 'Deleting…' : 'Delete key'}
          </button>
        </>
      }
    >
      <FormError message={error} />
    </Dialog>
  );
}
