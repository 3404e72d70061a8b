import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Session } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';
import { AuthCard } from './auth-card.tsx';

/** The invitation link's page (#/accept-invitation?token=...): choose a password, join, signed in. */
export function AcceptInvitationPage({ token, onSignedIn }: { token: string; onSignedIn: (session: Session) => void }): ReactNode {
  const [password, setPassword] = useState('');
  const { busy, errors, run } = useSubmit([], { closesOnSuccess: true });

  const submit = (): Promise<void> =>
    run(async () => {
      const session = await api.post<Session>('/invitations/accept', { token, password });
      // The token has done its work: it leaves the address bar and the history entry.
      window.history.replaceState(null, '', `${window.location.pathname}#/api-keys`);
      // replaceState fires no hashchange of its own; the router listens for one.
      window.dispatchEvent(new HashChangeEvent('hashchange'));
      onSignedIn(session);
    });

  return (
    <AuthCard title="Join your team" intro="You were invited to Postgate. Choose a password (at least 10 characters) to create your account." onSubmit={() => void submit()}>
      <Field label="Password">
        {(props) => <input {...props} type="password" autoComplete="new-password" minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} required />}
      </Field>
      <FormError message={errors.form} />
      <button type="submit" className="button button-primary button-wide" disabled={busy || token === ''}>
        {busy ? 'Joining…' : 'Accept invitation'}
      </button>
    </AuthCard>
  );
}
