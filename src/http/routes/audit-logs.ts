import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { toCursor } from '../../lib/pagination.js';
import { auditEventList, auditQuery } from '../../modules/audit/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// Auth: audit:read, declared through the edge (a key's scope, or the dashboard session and role).
// The audit log is read-only through every interface: this module registers a GET and nothing
// else, and no service exposes a way to change an event.
export function auditLogRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  app.withTypeProvider<ZodTypeProvider>().get(`${edge.prefix}/audit-logs`, {
    config: edge.config('audit:read'),
    schema: {
      tags: edge.tags('Audit log'),
      summary: 'Every change made through any interface, newest first; filter by actor, action, target and time',
      querystring: auditQuery,
      response: { 200: auditEventList },
    },
    handler: async (req) => {
      const q = req.query;
      const filters = {
        actorId: q.actor_id,
        action: q.action,
        targetId: q.target_id,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
      };
      return deps.services.audit.list(edge.actor(req), filters, toCursor(q));
    },
  });
}
