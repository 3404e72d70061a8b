import type { FormEvent, ReactNode } from 'react';

type AuthCardProps = { title: string; intro: ReactNode; onSubmit: () => void; children: ReactNode };

/** The centred card of the sign-in and setup pages. */
export function AuthCard({ title, intro, onSubmit, children }: AuthCardProps): ReactNode {
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} noValidate>
        <div className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true" />
          Postgate
        </div>
        <h1>{title}</h1>
        <p className="muted">{intro}</p>
        {children}
      </form>
    </main>
  );
}
