import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken, setSignedOutHandler } from './api/client.ts';
import type { Session } from './api/types.ts';
import { Layout } from './components/layout.tsx';
import { ErrorState, Loading } from './components/states.tsx';
import { useHashRoute } from './lib/use-hash-route.ts';
import { AnalyticsPage } from './pages/analytics/analytics-page.tsx';
import { AuditPage } from './pages/audit/audit-page.tsx';
import { AccountPage } from './pages/account/account-page.tsx';
import { AcceptInvitationPage } from './pages/auth/accept-invitation-page.tsx';
import { LoginPage } from './pages/auth/login-page.tsx';
import { SetupPage } from './pages/auth/setup-page.tsx';
import { DomainsPage } from './pages/domains/domains-page.tsx';
import { EmailsPage } from './pages/emails/emails-page.tsx';
import { KeysPage } from './pages/keys/keys-page.tsx';
import { SettingsPage } from './pages/settings/settings-page.tsx';
import { SuppressionsPage } from './pages/suppressions/suppressions-page.tsx';
import { TeamPage } from './pages/team/team-page.tsx';
import { TemplatesPage } from './pages/templates/templates-page.tsx';
import { WebhooksPage } from './pages/webhooks/webhooks-page.tsx';

type Auth =
  | { state: 'loading' }
  | { state: 'error'; error: ApiError }
  | { state: 'setup' }
  | { state: 'signed_out'; notice?: string }
  | { state: 'signed_in'; session: Session };

export function App(): ReactNode {
  const [auth, setAuth] = useState<Auth>({ state: 'loading' });
  const [signingOut, setSigningOut] = useState(false);
  const route = useHashRoute();

  const accept = useCallback((session: Session, notice?: string) => {
    setCsrfToken(session.csrf_token);
    if (session.user) setAuth({ state: 'signed_in', session });
    else if (session.setup_required) setAuth({ state: 'setup' });
    else setAuth({ state: 'signed_out', notice });
  }, []);

  const refresh = useCallback(
    (notice?: string) => {
      api.get<Session>('/session').then(
        (session) => accept(session, notice),
        (error: unknown) => setAuth({ state: 'error', error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)) }),
      );
    },
    [accept],
  );

  useEffect(() => {
    setSignedOutHandler(() => refresh('Your session has ended. Sign in again.'));
    refresh();
  }, [refresh]);

  const signOut = async (): Promise<void> => {
    setSigningOut(true);
    try {
      accept(await api.post<Session>('/logout'));
    } catch {
      refresh();
    } finally {
      setSigningOut(false);
    }
  };

  // An invitation link opens its page whoever is signed in: accepting signs the new member in.
  if (route.startsWith('/accept-invitation') && (auth.state === 'signed_out' || auth.state === 'signed_in')) {
    const token = new URLSearchParams(route.split('?')[1] ?? '').get('token') ?? '';
    return <AcceptInvitationPage token={token} onSignedIn={accept} />;
  }

  switch (auth.state) {
    case 'loading':
      return <Loading />;
    case 'error':
      return <ErrorState error={auth.error} onRetry={() => refresh()} />;
    case 'setup':
      return <SetupPage onSignedIn={accept} />;
    case 'signed_out':
      return <LoginPage notice={auth.notice} onSignedIn={accept} />;
    case 'signed_in':
      return (
        <Layout session={auth.session} route={route} onSignOut={() => void signOut()} signingOut={signingOut}>
          <Page route={route} session={auth.session} onSessionChanged={() => refresh()} />
        </Layout>
      );
  }
}

function Page({ route, session, onSessionChanged }: { route: string; session: Session; onSessionChanged: () => void }): ReactNode {
  if (route.startsWith('/team')) return <TeamPage session={session} />;
  if (route.startsWith('/account')) return <AccountPage session={session} onChanged={onSessionChanged} />;
  if (route.startsWith('/domains')) return <DomainsPage selectedId={route.split('/')[2]} />;
  if (route.startsWith('/emails')) return <EmailsPage selectedId={route.split('/')[2]} />;
  if (route.startsWith('/templates')) return <TemplatesPage selectedId={route.split('/')[2]} session={session} />;
  if (route.startsWith('/webhooks')) return <WebhooksPage selectedId={route.split('/')[2]} eventId={route.split('/')[4]} />;
  if (route.startsWith('/suppressions')) return <SuppressionsPage />;
  if (route.startsWith('/analytics')) return <AnalyticsPage />;
  if (route.startsWith('/audit-log')) return <AuditPage />;
  if (route.startsWith('/settings')) return <SettingsPage />;
  return <KeysPage />;
}
