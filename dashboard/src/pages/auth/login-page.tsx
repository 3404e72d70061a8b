import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { Session } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { AuthCard } from './auth-card.tsx';

export function LoginPage({ notice, onSignedIn }: { notice?: string; onSignedIn: (session: Session) => void }): ReactNode {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);

  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api.post<Session>('/login', { email, password }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in" intro="Sign in to manage API keys, domains and emails." onSubmit={() => void submit()}>
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
