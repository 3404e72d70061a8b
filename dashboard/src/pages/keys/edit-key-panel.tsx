import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKey, DomainSummary } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';
import { KeyForm, type KeyFormErrors } from './key-form.tsx';
import { formValueOf, keyBody } from './scopes.ts';

const FIELDS = ['name', 'permission', 'scopes', 'domain_ids', 'allowed_ips'] as const;

type Props = { apiKey: ApiKey; domains: DomainSummary[]; onClose: () => void; onSaved: (key: ApiKey) => void };

/** Edits a key in place; the change applies to the key's very next request. */
export function EditKeyPanel({ apiKey, domains, onClose, onSaved }: Props): ReactNode {
  const [value, setValue] = useState(() => formValueOf(apiKey));
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      onSaved(await api.patch<ApiKey>(`/api-keys/${apiKey.id}`, keyBody(value, 'edit')));
    } catch (error) {
      const split = splitError(error, FIELDS, { domain_id: 'domain_ids' });
      setErrors(split.fields);
      setFormError(split.form);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Edit ${apiKey.name}`}
      description={<>Changes apply to the key’s very next request. The token stays the same.</>}
      name="edit-key"
      variant="panel"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="edit-key-form" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </>
      }
    >
      <form id="edit-key-form" onSubmit={(e) => void submit(e)} noValidate>
        <KeyForm
          value={value}
          onChange={(next) => {
            // An edited field's old error would now be wrong.
            setValue(next);
            setErrors({});
          }}
          errors={errors}
          domains={domains}
        />
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}
