import type { ReactNode } from 'react';

type Props = {
  onCancel: () => void;
  label: string;
  /** The action button's label while it runs; the button is disabled meanwhile. */
  busyLabel: string;
  busy: boolean;
  /** The id of the form the action button submits; without it, the button runs onConfirm. */
  form?: string;
  onConfirm?: () => void;
  tone?: 'primary' | 'danger';
  /** Cancel takes the focus when the dialog opens: in a confirmation the safe choice comes first. */
  focusCancel?: boolean;
};

/** A dialog footer: Cancel, then the dialog's one action. */
export function DialogActions({ onCancel, label, busyLabel, busy, form, onConfirm, tone = 'primary', focusCancel = false }: Props): ReactNode {
  return (
    <>
      <button type="button" className="button" onClick={onCancel} data-autofocus={focusCancel || undefined}>
        Cancel
      </button>
      <button type={form ? 'submit' : 'button'} form={form} className={`button button-${tone}`} onClick={onConfirm} disabled={busy}>
        {busy ? busyLabel : label}
      </button>
    </>
  );
}
