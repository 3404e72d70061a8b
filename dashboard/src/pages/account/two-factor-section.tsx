import { useState, type FormEvent, type ReactNode } from 'react';
import '../team/team.css';
import { api } from '../../api/client.ts';
import type { TwoFactorEnrollment, TwoFactorState } from '../../api/types.ts';
import { CopyButton } from '../../components/copy-button.tsx';
import { Field } from '../../components/field.tsx';
import { ErrorState, FormError, Loading } from '../../components/states.tsx';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';

/** TOTP two-factor: set up (secret and otpauth URI, then a first code), recovery codes once, turn off. */
export function TwoFactorSection({ onChanged }: { onChanged: () => void }): ReactNode {
  const state = useLoad(() => api.get<TwoFactorState>('/two-factor'));
  const [enrollment, setEnrollment] = useState<TwoFactorEnrollment>();
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>();
  const [code, setCode] = useState('');
  const { busy, errors, run: act } = useSubmit();
  const start = (): Promise<void> => act(async () => setEnrollment(await api.post<TwoFactorEnrollment>('/two-factor/enroll')));
  const confirm = (e: FormEvent): Promise<void> => {
    e.preventDefault();
    return act(async () => {
      const done = await api.post<TwoFactorState>('/two-factor/confirm', { code: code.trim() });
      setRecoveryCodes(done.recovery_codes);
      setEnrollment(undefined);
      setCode('');
      state.reload();
      onChanged();
    });
  };
  const disable = (e: FormEvent): Promise<void> => {
    e.preventDefault();
    return act(async () => {
      await api.post<TwoFactorState>('/two-factor/disable', { code: code.trim() });
      setCode('');
      setRecoveryCodes(undefined);
      state.reload();
      onChanged();
    });
  };

  const codeField = (
    <Field label="Authentication code" hint="The 6-digit code your authenticator app shows now.">
      {(props) => <input {...props} inputMode="numeric" autoComplete="one-time-code" maxLength={8} value={code} onChange={(e) => setCode(e.target.value)} />}
    </Field>
  );

  return (
    <section aria-labelledby="two-factor-title" className="two-factor-setup">
      <h2 id="two-factor-title">Two-factor sign-in</h2>
      {state.loading && !state.data ? <Loading /> : null}
      {state.error ? <ErrorState error={state.error} onRetry={state.reload} /> : null}
      {recoveryCodes ? (
        <div className="notice" role="status" data-testid="recovery-codes">
          <p>
            <strong>Two-factor sign-in is on.</strong> Keep these recovery codes somewhere safe: each signs you in once without your authenticator. They are
            shown only now.
          </p>
          <ul className="recovery-codes">
            {recoveryCodes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <CopyButton text={recoveryCodes.join('\n')} label="Copy recovery codes" />
        </div>
      ) : null}
      {state.data?.enabled ? (
        <form onSubmit={(e) => void disable(e)} noValidate aria-label="Turn off two-factor sign-in">
          <p className="muted">On, with {state.data.recovery_codes_left ?? 0} recovery codes left. Turning it off needs a current code.</p>
          {codeField}
          <FormError message={errors.form} />
          <button type="submit" className="button button-danger" disabled={busy || code.trim() === ''}>
            Turn off two-factor
          </button>
        </form>
      ) : null}
      {state.data && !state.data.enabled && !enrollment ? (
        <>
          <p className="muted">Off. With it on, signing in asks for a code from an authenticator app after your password.</p>
          <FormError message={errors.form} />
          <button type="button" className="button button-primary" onClick={() => void start()} disabled={busy}>
            Set up two-factor
          </button>
        </>
      ) : null}
      {enrollment ? (
        <form onSubmit={(e) => void confirm(e)} noValidate aria-label="Confirm two-factor sign-in">
          <p>Add this account to your authenticator app with the link or the secret below, then enter the code it shows.</p>
          <p className="token-box">
            <code className="token" data-testid="otpauth-uri">{enrollment.otpauth_uri}</code> <CopyButton text={enrollment.otpauth_uri} label="Copy otpauth link" />
          </p>
          <p className="token-box">
            <code className="token" data-testid="totp-secret">{enrollment.secret}</code> <CopyButton text={enrollment.secret} label="Copy secret" />
          </p>
          {codeField}
          <FormError message={errors.form} />
          <button type="submit" className="button button-primary" disabled={busy || code.trim() === ''}>
            Turn on two-factor
          </button>
        </form>
      ) : null}
    </section>
  );
}
