import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Domain } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';

/** Adds a domain; the server answers with the DNS records to publish. */
export function AddDomainForm({ onAdded }: { onAdded: (domain: Domain) => void }): ReactNode {
  const [name, setName] = useState('');
  const [error, setError] = useState<{ field?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError({});
    try {
      const domain = await api.post<Domain>('/domains', { name });
      setName('');
      onAdded(domain);
    } catch (e) {
      const split = splitError(e, ['name'] as const);
      setError({ field: split.fields.name, form: split.form });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate>
      <Field label="Domain" hint="The domain your From addresses use, like mail.example.com." error={error.field}>
        {(props) => <input {...props} placeholder="example.com" spellCheck={false} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <button type="submit" className="button button-primary" disabled={busy || name.trim() === ''}>
        {busy ? 'Adding…' : 'Add domain'}
      </button>
      <FormError message={error.form} />
    </form>
  );
}
