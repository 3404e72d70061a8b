import type { ReactNode } from 'react';
import { useSubmit } from '../lib/use-submit.ts';
import { Dialog } from './dialog.tsx';
import { DialogActions } from './dialog-actions.tsx';
import { FormError } from './states.tsx';

export type ConfirmDialogProps = {
  name: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  /** The confirm button's label while the action runs. */
  busyLabel: string;
  /** `danger` for what cannot be undone. */
  tone: 'danger' | 'primary';
  onClose: () => void;
  /** Performs the action; an API error is shown in the dialog, which stays open. */
  onConfirm: () => Promise<void>;
};

/** "Do X?" with Cancel focused first, the API's error shown inline, no double submit. */
export function ConfirmDialog({ name, title, description, confirmLabel, busyLabel, tone, onClose, onConfirm }: ConfirmDialogProps): ReactNode {
  // The caller closes the dialog or leaves the page on success.
  const { busy, errors, run } = useSubmit([], { closesOnSuccess: true });
  return (
    <Dialog
      title={title}
      description={description}
      name={name}
      onClose={onClose}
      footer={
        <DialogActions onCancel={onClose} label={confirmLabel} busyLabel={busyLabel} busy={busy} onConfirm={() => void run(onConfirm)} tone={tone} focusCancel />
      }
    >
      <FormError message={errors.form} />
    </Dialog>
  );
}
