import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

type DialogProps = {
  title: string;
  /** Shown under the title and announced with it (aria-describedby). */
  description?: ReactNode;
  onClose: () => void;
  children?: ReactNode;
  footer?: ReactNode;
  /** `panel` slides in from the right (edit forms); `modal` is centred. */
  variant?: 'modal' | 'panel';
  /** A testing and styling hook. */
  name?: string;
};

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog on the native <dialog> element: the page behind is inert, the dialog is labelled
 * by its title, Escape closes it, Tab and Shift+Tab cycle inside it, and focus returns to where
 * it was when the dialog closes. A click on the backdrop does nothing: a stray click must not
 * throw away a half-filled form or a token shown once.
 */
export function Dialog({ title, description, onClose, children, footer, variant = 'modal', name }: DialogProps): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return undefined;
    const previous = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => {
      dialog.close();
      previous?.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>): void => {
    if (event.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${variant}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      data-dialog={name}
      onKeyDown={onKeyDown}
      // Escape: the browser fires "cancel"; the parent decides (it unmounts the dialog).
      onCancel={(event) => {
        event.preventDefault();
        closeRef.current();
      }}
    >
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={() => closeRef.current()}>
          ×
        </button>
      </header>
      <div className="dialog-content">
        {description ? (
          <div id={descriptionId} className="dialog-description">
            {description}
          </div>
        ) : null}
        {children}
      </div>
      {footer ? <footer className="dialog-footer">{footer}</footer> : null}
    </dialog>
  );
}
