import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../app/deps.js';
import { registerSession } from '../../plugins/session.js';
import { dashboardApiKeyRoutes } from './api-keys.js';
import { dashboardAppRoutes } from './app.js';
import { dashboardDomainRoutes } from './domains.js';
import { dashboardEmailRoutes } from './emails.js';
import { dashboardSessionRoutes } from './session.js';

/**
 * The dashboard: its JSON API under /dashboard/api (session + CSRF, in a scope of its own so
 * cookies are parsed nowhere else) and the built React app at /.
 */
export async function dashboardRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(async (scope) => {
    await registerSession(scope, deps);
    dashboardSessionRoutes(scope, deps);
    dashboardApiKeyRoutes(scope, deps);
    dashboardDomainRoutes(scope, deps);
    dashboardEmailRoutes(scope, deps);
  });
  await app.register(async (scope) => dashboardAppRoutes(scope));
}
