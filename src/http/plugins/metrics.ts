import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { LIMIT_CODES } from '../../modules/metrics/metrics.js';

const LIMITS: ReadonlySet<string> = new Set(LIMIT_CODES);

/**
 * Counts every HTTP request by method, route pattern (never the raw path: ids would make a series
 * per object) and status, and every 429 by its catalogue code.
 */
export function registerHttpMetrics(app: FastifyInstance, deps: Deps): void {
  const { httpRequests, httpDuration, limitsHit } = deps.metrics;

  // One callback hook, not an async one: it runs on every request and needs no promise. The
  // 429's code is the one sendError recorded on the reply, never parsed back from the body.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    const code = reply.errorCode;
    if (reply.statusCode === 429 && code !== undefined && LIMITS.has(code)) limitsHit.inc({ code });
    done();
  });
}
