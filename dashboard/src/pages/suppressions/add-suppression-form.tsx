import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';
import type { AddedSuppression } from './suppression-types.ts';

/** Suppresses one address by hand; the server checks the address and says what is wrong. */
export function AddSuppressionForm({ onAdded }: { onAdded: (email: string) => void }): ReactNode {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<{ field?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError({});
    try {
      await api.post<AddedSuppression>('/suppressions', { email: email.trim() });
      setEmail('');
      onAdded(email.trim());
    } catch (e) {
      const split = splitError(e, ['email'] as const);
      setError({ field: split.fields.email, form: split.form });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate>
      <Field label="Email address" hint="Nothing is sent to it again until you remove it." error={error.field}>
        {(props) => (
          <input
            {...props}
            type="email"
            placeholder="someone@example.com"
            spellCheck={false}
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" className="button button-primary" disabled={busy || email.trim() === ''}>
        {busy ? 'Adding…' : 'Suppress address'}
      </button>
      <FormError message={error.form} />
    </form>
  );
}
