import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { Session, TwoFactorChallenge } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { AuthCard } from './auth-card.tsx';

/** Sign-in: the password, then (with two-factor on) a code from the authenticator or a recovery code. */
export function LoginPage({ notice, onSignedIn }: { notice?: string; onSignedIn: (session: Session) => void }): ReactNode {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string>();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);

  const attempt = async (call: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  };

  const submitPassword = (): Promise<void> =>
    attempt(async () => {
      const answer = await api.post<Session | TwoFactorChallenge>('/login', { email, password });
      if (answer.object === 'two_factor_challenge') {
        // The password was right; no session until the second factor.
        setPassword('');
        setChallenge(answer.challenge);
        setBusy(false);
        return;
      }
      onSignedIn(answer);
    });

  const submitCode = (): Promise<void> =>
    attempt(async () => {
      onSignedIn(await api.post<Session>('/login/two-factor', { challenge, code: code.trim() }));
    });

  if (challenge) {
    return (
      <AuthCard title="Two-factor sign-in" intro="Enter the code from your authenticator app, or one of your recovery codes." onSubmit={() => void submitCode()}>
        <Field label="Authentication code">
          {(props) => <input {...props} autoComplete="one-time-code" autoFocus maxLength={64} value={code} onChange={(e) => setCode(e.target.value)} required />}
        </Field>
        <FormError message={error} />
        <button type="submit" className="button button-primary button-wide" disabled={busy || code.trim() === ''}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
        <button
          type="button"
          className="button button-wide"
          onClick={() => {
            setChallenge(undefined);
            setCode('');
            setError(undefined);
          }}
        >
          Start over
        </button>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Sign in" intro="Sign in to manage API keys, domains and emails." onSubmit={() => void submitPassword()}>
      <Field label="Email">
        {(props) => <input {...props} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />}
      </Field>
      <Field label="Password">
        {(props) => (
          <input {...props} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        )}
      </Field>
      <FormError message={error} />
      <button type="submit" className="button button-primary button-wide" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </AuthCard>
  );
}
