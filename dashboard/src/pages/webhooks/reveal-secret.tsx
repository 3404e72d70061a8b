import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import { CopyButton } from '../../components/copy-button.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';
import type { WebhookWithSecret } from './webhook-types.ts';

/**
 * The signing secret on demand: fetched only when asked (GET /webhooks/:id is the read that
 * carries it), so it is not on screen, or in a screenshot, until a member chooses to see it.
 */
export function RevealSecret({ webhookId }: { webhookId: string }): ReactNode {
  const [secret, setSecret] = useState<string>();
  const { busy, errors, run, setErrors } = useSubmit();

  const reveal = (): Promise<void> =>
    run(async () => {
      const { signing_secret: revealed } = await api.get<WebhookWithSecret>(`/webhooks/${encodeURIComponent(webhookId)}`);
      // The server keeps the secret from members who may not edit webhooks (viewers).
      if (revealed === null) setErrors({ fields: {}, form: 'Only members who can edit webhooks can see the signing secret.' });
      else setSecret(revealed);
    });

  return (
    <section className="webhook-secret" aria-labelledby="webhook-secret-title">
      <h2 id="webhook-secret-title">Signing secret</h2>
      {secret ? (
        <div className="token-box">
          <code className="token" data-testid="revealed-secret">
            {secret}
          </code>
          <CopyButton text={secret} label="Copy signing secret" />
          <button type="button" className="button button-small" onClick={() => setSecret(undefined)}>
            Hide
          </button>
        </div>
      ) : (
        <div className="button-row">
          <span className="muted">Hidden.</span>
          <button type="button" className="button button-small" onClick={() => void reveal()} disabled={busy}>
            {busy ? 'Revealing…' : 'Reveal secret'}
          </button>
        </div>
      )}
      <FormError message={errors.form} />
    </section>
  );
}
