import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Domain } from '../../api/types.ts';
import { OneFieldForm } from '../../components/one-field-form.tsx';

/** Adds a domain; the server answers with the DNS records to publish. */
export function AddDomainForm({ onAdded }: { onAdded: (domain: Domain) => void }): ReactNode {
  return (
    <OneFieldForm
      label="Domain"
      hint="The domain your From addresses use, like mail.example.com."
      field="name"
      input={{ placeholder: 'example.com', spellCheck: false, autoComplete: 'off' }}
      submitLabel="Add domain"
      busyLabel="Adding…"
      onSubmit={async (name) => onAdded(await api.post<Domain>('/domains', { name }))}
    />
  );
}
