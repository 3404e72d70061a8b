import type { ReactNode } from 'react';
import type { Session } from '../api/types.ts';
import { ProjectSwitcher } from './project-switcher.tsx';

const NAV = [
  { route: '/api-keys', label: 'API keys' },
  { route: '/domains', label: 'Domains' },
  { route: '/emails', label: 'Emails' },
  { route: '/templates', label: 'Templates' },
  { route: '/webhooks', label: 'Webhooks' },
  { route: '/suppressions', label: 'Suppressions' },
  { route: '/analytics', label: 'Analytics' },
  { route: '/audit-log', label: 'Audit log' },
  { route: '/settings', label: 'Settings' },
  { route: '/team', label: 'Team' },
  { route: '/account', label: 'Account' },
];

type LayoutProps = { session: Session; route: string; onSignOut: () => void; signingOut: boolean; children: ReactNode };

/** The signed-in frame: brand, navigation, who is signed in, sign out. */
export function Layout({ session, route, onSignOut, signingOut, children }: LayoutProps): ReactNode {
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/api-keys">
          <span className="brand-mark" aria-hidden="true" />
          Postgate
        </a>
        <nav aria-label="Main">
          <ul className="nav">
            {NAV.map((item) => (
              <li key={item.route}>
                <a href={`#${item.route}`} aria-current={route.startsWith(item.route) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <ProjectSwitcher session={session} />
          <span className="account-who">
            <span className="account-org">{session.organization?.name}</span>
            <span className="account-email">{session.user?.email}</span>
          </span>
          <button type="button" className="button button-small" onClick={onSignOut} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
