import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { organizationOverview } from '../../modules/analytics/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// GET /organization: organization:read on the public API, the session on the dashboard
// (edge.config per route, plugins/auth.ts).
export function organizationRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const analytics = deps.services.analytics;

  r.get(`${edge.prefix}/organization`, {
    config: edge.config('organization:read'),
    schema: {
      tags: edge.tags('Organization'),
      summary: 'The organization: its plan, the limits that apply to it and its usage against them',
      response: { 200: organizationOverview },
    },
    handler: async (req) => analytics.organization(edge.actor(req)),
  });
}
