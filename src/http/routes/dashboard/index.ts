import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../app/deps.js';
import type { RouteEdge } from '../../route-edge.js';
import { actorOf, registerSession } from '../../plugins/session.js';
import { analyticsRoutes } from '../analytics.js';
import { apiKeyRoutes } from '../api-keys.js';
import { domainRoutes } from '../domains.js';
import { auditLogRoutes } from '../audit-logs.js';
import { emailReadRoutes } from '../emails.js';
import { organizationRoutes } from '../organization.js';
import { projectManagementRoutes, projectReadRoutes } from '../projects.js';
import { suppressionRoutes } from '../suppressions.js';
import { webhookRoutes } from '../webhooks.js';
import { templateRoutes } from '../templates.js';
import { dashboardAppRoutes } from './app.js';
import { dashboardSessionRoutes } from './session.js';
import { accountRoutes } from './account.js';
import { teamRoutes } from './team.js';

/** The dashboard's side of the shared resource routes: the signed-in user's organization. */
const DASHBOARD: RouteEdge = Object.freeze({
  prefix: '/dashboard/api',
  // The scope the route needs from a key is what the member's role must allow (plugins/session.ts).
  config: (scope) => ({ auth: 'session' as const, access: scope }),
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
    teamRoutes(scope, deps);
    accountRoutes(scope, deps);
    apiKeyRoutes(scope, deps, DASHBOARD);
    domainRoutes(scope, deps, DASHBOARD);
    emailReadRoutes(scope, deps, DASHBOARD);
    analyticsRoutes(scope, deps, DASHBOARD);
    organizationRoutes(scope, deps, DASHBOARD);
    auditLogRoutes(scope, deps, DASHBOARD);
    projectReadRoutes(scope, deps, DASHBOARD);
    projectManagementRoutes(scope, deps, DASHBOARD);
    suppressionRoutes(scope, deps, DASHBOARD);
    webhookRoutes(scope, deps, DASHBOARD);
    templateRoutes(scope, deps, DASHBOARD);
  });
  await app.register(async (scope) => dashboardAppRoutes(scope));
}
