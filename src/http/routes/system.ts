import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { sendError } from '../plugins/errors.js';

export function systemRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['System'], summary: 'Liveness' } }, async () => ({
    status: 'ok',
  }));

  app.get('/readyz', { config: { auth: 'public' }, schema: { tags: ['System'], summary: 'Readiness: the database answers' } }, async (request, reply) => {
    try {
      await deps.database.ping();
      return { status: 'ok', database: deps.database.kind };
    } catch (error) {
      deps.logger.warn({ err: error, reqId: request.id }, 'readiness check failed');
      return sendError(reply, 'service_unavailable', 'The database is unreachable');
    }
  });

  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
