import { useState, type FormEvent, type ReactNode } from 'react';
import type { DomainSummary } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';
import { KeyForm, type KeyFormErrors } from './key-form.tsx';
import type { KeyFormValue } from './scopes.ts';

const FIELDS = ['name', 'permission', 'scopes', 'domain_ids', 'allowed_ips'] as const;

type Props = {
  name: string;
  title: string;
  description?: ReactNode;
  variant?: 'panel';
  submitLabel: string;
  busyLabel: string;
  initial: KeyFormValue;
  domains: DomainSummary[];
  onClose: () => void;
  /** Sends the form; the API's validation errors are shown under their fields. */
  onSubmit: (value: KeyFormValue) => Promise<void>;
};

/** The key form in a dialog, shared by "Create API key" and the edit panel. */
export function KeyFormDialog(props: Props): ReactNode {
  const [value, setValue] = useState(props.initial);
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const formId = `${props.name}-form`;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (value.name.trim() === '') {
      setErrors({ name: 'Give the key a name.' });
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit(value);
    } catch (error) {
      const split = splitError(error, FIELDS, { domain_id: 'domain_ids' });
      setErrors(split.fields);
      setFormError(split.form);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={props.title}
      description={props.description}
      name={props.name}
      variant={props.variant}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={busy}>
            {busy ? props.busyLabel : props.submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={(e) => void submit(e)} noValidate>
        <KeyForm
          value={value}
          onChange={(next) => {
            // An edited field's old error would now be wrong.
            setValue(next);
            setErrors({});
          }}
          errors={errors}
          domains={props.domains}
        />
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}
