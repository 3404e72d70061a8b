import type { ReactNode } from 'react';
import { FormError } from './states.tsx';

type Props = { label: string; busy: boolean; error: string | undefined; onLoad: () => void };

/** The button under a list that reads its next, older page; a failure is shown beside it. */
export function LoadMore({ label, busy, error, onLoad }: Props): ReactNode {
  return (
    <div className="load-more">
      <button type="button" className="button" onClick={onLoad} disabled={busy}>
        {busy ? 'Loading…' : label}
      </button>
      <FormError message={error} />
    </div>
  );
}
