import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Session } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';
import { AuthCard } from './auth-card.tsx';

type Values = { setup_code: string; organization_name: string; email: string; password: string };

const FIELDS = ['setup_code', 'organization_name', 'email', 'password'] as const;

/** First visit of an empty install: the printed setup code claims it and creates the owner. */
export function SetupPage({ onSignedIn }: { onSignedIn: (session: Session) => void }): ReactNode {
  const [values, setValues] = useState<Values>({ setup_code: '', organization_name: '', email: '', password: '' });
  // The organization service names its field `name`.
  const { busy, errors, run } = useSubmit(FIELDS, { aliases: { name: 'organization_name' }, closesOnSuccess: true });
  const set = (field: keyof Values) => (event: { target: { value: string } }) => setValues({ ...values, [field]: event.target.value });

  const submit = (): Promise<void> => run(async () => onSignedIn(await api.post<Session>('/setup', values)));

  return (
    <AuthCard
      title="Set up Postgate"
      intro="Create the owner account. The setup code was printed by the server when it started (look for “Setup code” in its output)."
      onSubmit={() => void submit()}
    >
      <Field label="Setup code" error={errors.fields.setup_code}>
        {(props) => <input {...props} autoComplete="off" spellCheck={false} value={values.setup_code} onChange={set('setup_code')} />}
      </Field>
      <Field label="Organization name" error={errors.fields.organization_name}>
        {(props) => <input {...props} autoComplete="organization" value={values.organization_name} onChange={set('organization_name')} />}
      </Field>
      <Field label="Your email" error={errors.fields.email}>
        {(props) => <input {...props} type="email" autoComplete="username" value={values.email} onChange={set('email')} />}
      </Field>
      <Field label="Password" hint="At least 10 characters." error={errors.fields.password}>
        {(props) => <input {...props} type="password" autoComplete="new-password" value={values.password} onChange={set('password')} />}
      </Field>
      <FormError message={errors.form} />
      <button type="submit" className="button button-primary button-wide" disabled={busy}>
        {busy ? 'Creating…' : 'Create owner account'}
      </button>
    </AuthCard>
  );
}
