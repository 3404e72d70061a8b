import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import { OneFieldForm } from '../../components/one-field-form.tsx';
import type { AddedSuppression } from './suppression-types.ts';

/** Suppresses one address by hand; the server checks the address and says what is wrong. */
export function AddSuppressionForm({ onAdded }: { onAdded: (email: string) => void }): ReactNode {
  return (
    <OneFieldForm
      label="Email address"
      hint="Nothing is sent to it again until you remove it."
      field="email"
      input={{ type: 'email', placeholder: 'someone@example.com', spellCheck: false, autoComplete: 'off' }}
      submitLabel="Suppress address"
      busyLabel="Adding…"
      onSubmit={async (email) => {
        await api.post<AddedSuppression>('/suppressions', { email: email.trim() });
        onAdded(email.trim());
      }}
    />
  );
}
