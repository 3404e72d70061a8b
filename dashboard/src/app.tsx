import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken, setSignedOutHandler } from './api/client.ts';
import type { Session } from './api/types.ts';
import { Layout } from './components/layout.tsx';
import { ErrorState, Loading } from './components/states.tsx';
import { useHashRoute } from './lib/use-hash-route.ts';
import { LoginPage } from './pages/auth/login-page.tsx';
import { SetupPage } from './pages/auth/setup-page.tsx';
import { DomainsPage } from './pages/domains/domains-page.tsx';
import { EmailsPage } from './pages/emails/emails-page.tsx';
import { KeysPage } from './pages/keys/keys-page.tsx';

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
          <Page route={route} />
        </Layout>
      );
  }
}

function Page({ route }: { route: string }): ReactNode {
  if (route.startsWith('/domains')) return <DomainsPage selectedId={route.split('/')[2]} />;
  if (route.startsWith('/emails')) return <EmailsPage selectedId={route.split('/')[2]} />;
  return <KeysPage />;
}
