import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKey, DomainSummary } from '../../api/types.ts';
import { KeyFormDialog } from './key-form-dialog.tsx';
import { formValueOf, keyBody } from './scopes.ts';

type Props = { apiKey: ApiKey; domains: DomainSummary[]; onClose: () => void; onSaved: (key: ApiKey) => void };

/** Edits a key in place; the change applies to the key's very next request. */
export function EditKeyPanel({ apiKey, domains, onClose, onSaved }: Props): ReactNode {
  return (
    <KeyFormDialog
      name="edit-key"
      title={`Edit ${apiKey.name}`}
      description={<>Changes apply to the key’s very next request. The token stays the same.</>}
      variant="panel"
      submitLabel="Save changes"
      busyLabel="Saving…"
      initial={formValueOf(apiKey)}
      domains={domains}
      onClose={onClose}
      onSubmit={async (value) => onSaved(await api.patch<ApiKey>(`/api-keys/${apiKey.id}`, keyBody(value, 'edit')))}
    />
  );
}
