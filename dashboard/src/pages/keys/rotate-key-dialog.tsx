import { useId, useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { ApiKey, ApiKeyWithToken } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { DialogActions } from '../../components/dialog-actions.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';

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
  const { busy, errors, run } = useSubmit([], { closesOnSuccess: true });
  const selectId = useId();

  const rotate = (): Promise<void> => run(async () => onRotated(await api.post<ApiKeyWithToken>(`/api-keys/${apiKey.id}/rotate`, { grace_seconds: grace })));

  return (
    <Dialog
      title={`Rotate ${apiKey.name}?`}
      description={<>A new token replaces the current one. The key keeps its id, permission and restrictions.</>}
      name="rotate-key"
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} label="Rotate key" busyLabel="Rotating…" busy={busy} onConfirm={() => void rotate()} />}
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
      <FormError message={errors.form} />
    </Dialog>
  );
}
