import type { ReactNode } from 'react';
import type { Session } from '../../api/types.ts';
import { SessionsSection } from './sessions-section.tsx';
import { TwoFactorSection } from './two-factor-section.tsx';

/** The signed-in user's own account: their sessions and two-factor sign-in. */
export function AccountPage({ session, onChanged }: { session: Session; onChanged: () => void }): ReactNode {
  return (
    <section aria-labelledby="account-title">
      <div className="page-header">
        <div>
          <h1 id="account-title">Account</h1>
          <p className="muted">
            Signed in as {session.user?.email} ({session.user?.role}).
          </p>
        </div>
      </div>
      <TwoFactorSection onChanged={onChanged} />
      <SessionsSection />
    </section>
  );
}
