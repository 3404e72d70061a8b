import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../app/deps.js';
import type { RouteEdge } from '../../route-edge.js';
import { actorOf, registerSession } from '../../plugins/session.js';
import { apiKeyRoutes } from '../api-keys.js';
import { domainRoutes } from '../domains.js';
import { emailReadRoutes } from '../emails.js';
import { dashboardAppRoutes } from './app.js';
import { dashboardSessionRoutes } from './session.js';

/** The dashboard's side of the shared resource routes: the signed-in user's organization. */
const DASHBOARD: RouteEdge = Object.freeze({
  prefix: '/dashboard/api',
  config: () => ({ auth: 'session' as const }),
  actor: actorOf,
  tags: () => ['Dashboard'],
});

/**
 * The dashboard: its JSON API under /dashboard/api (session + CSRF, in a scope of its own so
 * cookies are parsed nowhere else) and the built React app at /.
 */
export async function dashboardRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(async (scope) => {
    await registerSession(scope, deps);
    dashboardSessionRoutes(scope, deps);
    apiKeyRoutes(scope, deps, DASHBOARD);
    domainRoutes(scope, deps, DASHBOARD);
    emailReadRoutes(scope, deps, DASHBOARD);
  });
  await app.register(async (scope) => dashboardAppRoutes(scope));
}
