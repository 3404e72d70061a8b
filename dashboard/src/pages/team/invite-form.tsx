import { useState, type FormEvent, type ReactNode } from 'react';
import './team.css';
import { api } from '../../api/client.ts';
import type { CreatedInvitation, Role } from '../../api/types.ts';
import { CopyButton } from '../../components/copy-button.tsx';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';

/** Invites by email and role; the link is shown here once (it cannot be shown again). */
export function InviteForm({ roles, onInvited }: { roles: Role[]; onInvited: () => void }): ReactNode {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const { busy, errors, run } = useSubmit(['email']);
  const [created, setCreated] = useState<CreatedInvitation>();

  const submit = (event: FormEvent): Promise<void> => {
    event.preventDefault();
    return run(async () => {
      const invitation = await api.post<CreatedInvitation>('/invitations', { email: email.trim(), role });
      setCreated(invitation);
      setEmail('');
      onInvited();
    });
  };

  return (
    <>
      <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Invite a member">
        <Field label="Email" error={errors.fields.email}>
          {(props) => <input {...props} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Role">
          {(props) => (
            <select {...props} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button button-primary" disabled={busy || email.trim() === ''}>
          {busy ? 'Inviting…' : 'Invite'}
        </button>
        <FormError message={errors.form} />
      </form>
      {created ? (
        <div className="notice" role="status" data-testid="invite-link">
          <p>
            Invitation for <strong>{created.email}</strong> ({created.role}).{' '}
            {created.emailed ? 'It was emailed to them; you can also pass on this link.' : 'Send them this link: it is shown only now.'} It works once,
            until {new Date(created.expires_at).toLocaleDateString()}.
          </p>
          <p className="token-box">
            <code className="token">{created.invite_url}</code> <CopyButton text={created.invite_url} label="Copy invitation link" />
          </p>
        </div>
      ) : null}
    </>
  );
}
