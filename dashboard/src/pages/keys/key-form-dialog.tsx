import { useState, type FormEvent, type ReactNode } from 'react';
import type { DomainSummary } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { DialogActions } from '../../components/dialog-actions.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';
import { KeyForm } from './key-form.tsx';
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
  const { busy, errors, run, setFieldErrors } = useSubmit(FIELDS, { aliases: { domain_id: 'domain_ids' }, closesOnSuccess: true });
  const formId = `${props.name}-form`;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (value.name.trim() === '') {
      setFieldErrors({ name: 'Give the key a name.' });
      return;
    }
    await run(() => props.onSubmit(value));
  };

  return (
    <Dialog
      title={props.title}
      description={props.description}
      name={props.name}
      variant={props.variant}
      onClose={props.onClose}
      footer={<DialogActions onCancel={props.onClose} label={props.submitLabel} busyLabel={props.busyLabel} busy={busy} form={formId} />}
    >
      <form id={formId} onSubmit={(e) => void submit(e)} noValidate>
        <KeyForm
          value={value}
          onChange={(next) => {
            // An edited field's old error would now be wrong.
            setValue(next);
            setFieldErrors({});
          }}
          errors={errors.fields}
          domains={props.domains}
        />
        <FormError message={errors.form} />
      </form>
    </Dialog>
  );
}
