import type { ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKeyWithToken, DomainSummary } from '../../api/types.ts';
import { KeyFormDialog } from './key-form-dialog.tsx';
import { EMPTY_KEY_FORM, keyBody } from './scopes.ts';

type Props = { domains: DomainSummary[]; onClose: () => void; onCreated: (key: ApiKeyWithToken) => void };

export function CreateKeyDialog({ domains, onClose, onCreated }: Props): ReactNode {
  return (
    <KeyFormDialog
      name="create-key"
      title="Create API key"
      submitLabel="Create key"
      busyLabel="Creating…"
      initial={EMPTY_KEY_FORM}
      domains={domains}
      onClose={onClose}
      onSubmit={async (value) => onCreated(await api.post<ApiKeyWithToken>('/api-keys', keyBody(value, 'create')))}
    />
  );
}
