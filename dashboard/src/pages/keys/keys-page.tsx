import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKey, ApiKeyWithToken, DomainSummary, List } from '../../api/types.ts';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { useLoad } from '../../lib/use-load.ts';
import { CreateKeyDialog } from './create-key-dialog.tsx';
import { DeleteKeyDialog } from './delete-key-dialog.tsx';
import { EditKeyPanel } from './edit-key-panel.tsx';
import { KeysTable, type KeyAction } from './keys-table.tsx';
import { RotateKeyDialog } from './rotate-key-dialog.tsx';
import { TokenDialog } from './token-dialog.tsx';
import { UsageDialog } from './usage-dialog.tsx';

type Open =
  | { kind: 'create' }
  | { kind: 'token'; key: ApiKeyWithToken; rotated: boolean }
  | { kind: KeyAction; key: ApiKey }
  | undefined;

export function KeysPage(): ReactNode {
  const keys = useLoad(() => api.get<List<ApiKey>>('/api-keys?limit=100'));
  const domains = useLoad(() => api.get<List<DomainSummary>>('/domains?limit=100'));
  const [open, setOpen] = useState<Open>();
  const close = (): void => setOpen(undefined);
  const domainList = domains.data?.data ?? [];

  const replace = (key: ApiKey): void => {
    if (keys.data) keys.set({ ...keys.data, data: keys.data.data.map((k) => (k.id === key.id ? key : k)) });
  };

  return (
    <section aria-labelledby="keys-title">
      <div className="page-header">
        <div>
          <h1 id="keys-title">API keys</h1>
          <p className="muted">Keys authenticate the REST API and SMTP. Each token is shown once, when it is created or rotated.</p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setOpen({ kind: 'create' })}>
          Create API key
        </button>
      </div>

      {keys.loading && !keys.data ? <Loading label="Loading API keys…" /> : null}
      {keys.error ? <ErrorState error={keys.error} onRetry={keys.reload} /> : null}
      {keys.data && keys.data.data.length === 0 ? (
        <EmptyState
          title="No API keys yet"
          action={
            <button type="button" className="button button-primary" onClick={() => setOpen({ kind: 'create' })}>
              Create your first key
            </button>
          }
        >
          Create a key to send email through the API or SMTP.
        </EmptyState>
      ) : null}
      {keys.data && keys.data.data.length > 0 ? (
        <KeysTable keys={keys.data.data} domains={domainList} onAction={(kind, key) => setOpen({ kind, key })} />
      ) : null}

      {open?.kind === 'create' ? (
        <CreateKeyDialog
          domains={domainList}
          onClose={close}
          onCreated={(key) => {
            setOpen({ kind: 'token', key, rotated: false });
            keys.reload();
          }}
        />
      ) : null}
      {open?.kind === 'token' ? (
        <TokenDialog
          apiKey={open.key}
          rotated={open.rotated}
          onClose={() => {
            close();
            // The key may have been tried while the dialog was open: show its "last used".
            keys.reload();
          }}
        />
      ) : null}
      {open?.kind === 'edit' ? (
        <EditKeyPanel
          apiKey={open.key}
          domains={domainList}
          onClose={close}
          onSaved={(key) => {
            replace(key);
            close();
          }}
        />
      ) : null}
      {open?.kind === 'rotate' ? (
        <RotateKeyDialog
          apiKey={open.key}
          onClose={close}
          onRotated={(key) => {
            // The list keeps the key without its token: the token lives only in the dialog.
            const { token: _token, ...withoutToken } = key;
            replace(withoutToken);
            setOpen({ kind: 'token', key, rotated: true });
          }}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <DeleteKeyDialog
          apiKey={open.key}
          onClose={close}
          onDeleted={() => {
            close();
            keys.reload();
          }}
        />
      ) : null}
      {open?.kind === 'usage' ? <UsageDialog apiKey={open.key} onClose={close} /> : null}
    </section>
  );
}
