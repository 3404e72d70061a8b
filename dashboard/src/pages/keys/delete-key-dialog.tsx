import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKey } from '../../api/types.ts';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';

type Props = { apiKey: ApiKey; onClose: () => void; onDeleted: (id: string) => void };

export function DeleteKeyDialog({ apiKey, onClose, onDeleted }: Props): ReactNode {
  return (
    <ConfirmDeleteDialog
      name="delete-key"
      title={`Delete ${apiKey.name}?`}
      description={
        <>
          Every request made with <code>{apiKey.redacted_token}</code> is refused from now on, on every instance. This cannot be undone.
        </>
      }
      confirmLabel="Delete key"
      onClose={onClose}
      onConfirm={async () => {
        await api.delete(`/api-keys/${apiKey.id}`);
        onDeleted(apiKey.id);
      }}
    />
  );
}
