import type { ReactNode } from 'react';
import { CopyButton } from './copy-button.tsx';
import { Dialog } from './dialog.tsx';

type Props = {
  title: string;
  /** The dialog's name (its test id and label). */
  name: string;
  /** Why to copy it now, in a warning callout. */
  warning: ReactNode;
  value: string;
  valueTestId: string;
  copyLabel: string;
  onClose: () => void;
  /** What follows the value: how to use it. */
  children?: ReactNode;
};

/** A secret just made (an API key's token, a webhook's signing secret), shown this once with a copy button. */
export function ShownOnceDialog({ title, name, warning, value, valueTestId, copyLabel, onClose, children }: Props): ReactNode {
  return (
    <Dialog
      title={title}
      name={name}
      onClose={onClose}
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <div className="callout callout-warning" role="note">
        {warning}
      </div>
      <div className="token-box">
        <code className="token" data-testid={valueTestId}>
          {value}
        </code>
        <CopyButton text={value} label={copyLabel} autoFocus />
      </div>
      {children}
    </Dialog>
  );
}
