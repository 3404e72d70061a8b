import { useId, useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { ApiKey, ApiKeyWithToken } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/states.tsx';

const GRACE = [
  { seconds: 0, label: 'No grace period: the old token stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
];

type Props = { apiKey: ApiKey; onClose: () => void; onRotated: (key: ApiKeyWithToken) => void };

/** New secret, same key: the old token may keep working for a grace period while you deploy. */
export function RotateKeyDialog({ apiKey, onClose, onRotated }: Props): ReactNode {
  const [grace, setGrace] = useState(0);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const selectId = useId();

  const rotate = async (): Promise<void> => {
    setBusy(true);
    try {
      onRotated(await api.post<ApiKeyWithToken>(`/api-keys/${apiKey.id}/rotate`, { grace_seconds: grace }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Rotate ${apiKey.name}?`}
      description={<>A new token replaces the current one. The key keeps its id, permission and restrictions.</>}
      name="rotate-key"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button-primary" onClick={() => void rotate()} disabled={busy}>
            {busy ? 'Rotating…' : 'Rotate key'}
          </button>
        </>
      }
    >
      <div className="field">
        <label htmlFor={selectId}>Keep the old token working for</label>
        <select id={selectId} data-autofocus value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
          {GRACE.map((g) => (
            <option key={g.seconds} value={g.seconds}>
              {g.label}
            </option>
          ))}
        </select>
      </div>
      <FormError message={error} />
    </Dialog>
  );
}
