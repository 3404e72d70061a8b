import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKeyWithToken, DomainSummary } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';
import { KeyForm, type KeyFormErrors } from './key-form.tsx';
import { EMPTY_KEY_FORM, keyBody } from './scopes.ts';

const FIELDS = ['name', 'permission', 'scopes', 'domain_ids', 'allowed_ips'] as const;

type Props = { domains: DomainSummary[]; onClose: () => void; onCreated: (key: ApiKeyWithToken) => void };

export function CreateKeyDialog({ domains, onClose, onCreated }: Props): ReactNode {
  const [value, setValue] = useState(EMPTY_KEY_FORM);
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (value.name.trim() === '') {
      setErrors({ name: 'Give the key a name.' });
      return;
    }
    setBusy(true);
    try {
      onCreated(await api.post<ApiKeyWithToken>('/api-keys', keyBody(value, 'create')));
    } catch (error) {
      const split = splitError(error, FIELDS, { domain_id: 'domain_ids' });
      setErrors(split.fields);
      setFormError(split.form);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Create API key"
      name="create-key"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-key-form" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </>
      }
    >
      <form id="create-key-form" onSubmit={(e) => void submit(e)} noValidate>
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
