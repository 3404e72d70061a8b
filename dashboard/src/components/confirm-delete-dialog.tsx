import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import { Dialog } from './dialog.tsx';
import { FormError } from './states.tsx';

type Props = {
  name: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  onClose: () => void;
  /** Performs the deletion; an API error is shown in the dialog, which stays open. */
  onConfirm: () => Promise<void>;
};

/** "Delete X?" with Cancel focused first, the API's error shown inline, no double submit. */
export function ConfirmDeleteDialog({ name, title, description, confirmLabel, onClose, onConfirm }: Props): ReactNode {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await onConfirm();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      description={description}
      name={name}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button button-danger" onClick={() => void remove()} disabled={busy}>
            {busy ? 'Deleting…' : confirmLabel}
          </button>
        </>
      }
    >
      <FormError message={error} />
    </Dialog>
  );
}
