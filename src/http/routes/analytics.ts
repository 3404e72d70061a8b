import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { metricsQuery, metricsResponse, usageResponse } from '../../modules/analytics/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// Each route declares its auth through edge.config(scope) (plugins/auth.ts): analytics:read on
// the public API, the session on the dashboard. The paths and shapes are the resend SDK's
// (emails.metrics(), usage.get()); see docs/analytics.md for what each number counts.
export function analyticsRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const analytics = deps.services.analytics;
  const read = edge.config('analytics:read');
  const tags = edge.tags('Analytics');

  // A static path: it is matched before GET /emails/:id.
  r.get(`${edge.prefix}/emails/metrics`, {
    config: read,
    schema: {
      tags,
      summary: 'Email counts and rates over a date range (at most 366 days), by period, domain, API key or status',
      querystring: metricsQuery,
      response: { 200: metricsResponse },
    },
    handler: async (req) => analytics.emailMetrics(edge.actor(req), req.query),
  });

  r.get(`${edge.prefix}/usage`, {
    config: read,
    schema: { tags, summary: 'Emails accepted today and this month, domains, and the plan rate', response: { 200: usageResponse } },
    handler: async (req) => analytics.usage(edge.actor(req)),
  });
}
