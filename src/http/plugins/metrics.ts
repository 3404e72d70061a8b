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

  // Callback hooks, not async ones: they run on every request and need no promise.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  // The code is in the body (every 429 is sent by sendError); only 429 bodies are read.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode === 429 && typeof payload === 'string') {
      const code = codeOf(payload);
      if (code && LIMITS.has(code)) limitsHit.inc({ code });
    }
    done(null, payload);
  });
}

function codeOf(body: string): string | undefined {
  try {
    const name = (JSON.parse(body) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
