import type { ReactNode } from 'react';
import { ConfirmDialog, type ConfirmDialogProps } from './confirm-dialog.tsx';

/** "Delete X?": a confirmation in the danger tone. */
export function ConfirmDeleteDialog(props: Omit<ConfirmDialogProps, 'busyLabel' | 'tone'>): ReactNode {
  return <ConfirmDialog {...props} busyLabel="Deleting…" tone="danger" />;
}
