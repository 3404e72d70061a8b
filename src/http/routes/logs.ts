import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import { logIdParams, logList, logObject } from '../../modules/request-log/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// The API request log, Resend's /logs: what each authenticated request was, never its body.
export function logRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const logs = deps.services.requestLogs;
  const read = edge.config('audit:read');
  const tags = edge.tags('Logs');
  const base = `${edge.prefix}/logs`;

  r.get(base, {
    config: read,
    schema: {
      tags,
      summary: 'List API requests, newest first',
      description: 'One entry per authenticated request (any status); entries appear within about a second.',
      querystring: pageQuery,
      response: { 200: logList },
    },
    handler: async (req) => logs.list(edge.actor(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config: read,
    schema: { tags, summary: 'Retrieve one API request', params: logIdParams, response: { 200: logObject } },
    handler: async (req) => logs.get(edge.actor(req), req.params.id),
  });
}
