import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import type { Deps } from '../../app/deps.js';
import { sendError } from '../plugins/errors.js';

/**
 * GET /metrics, Prometheus text. Not an API-key route (`auth: 'public'` for the framework) but
 * guarded here: with POSTGATE_METRICS_TOKEN set, only `Authorization: Bearer <token>` (401
 * otherwise); unset, only a client on this machine that did not come through a proxy (404 for
 * everyone else, as if there were no such route).
 */
export function metricsRoutes(app: FastifyInstance, deps: Deps): void {
  const token = deps.config.metricsToken;
  // Security: compared as SHA-256 digests with timingSafeEqual, so neither the token's bytes nor
  // its length leak through the time a wrong guess takes.
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);

  app.get(
    '/metrics',
    {
      config: { auth: 'public', errorCodes: ['invalid_metrics_token', 'not_found', 'concurrency_limit_exceeded'] },
      schema: {
        tags: ['System'],
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format. With `POSTGATE_METRICS_TOKEN` set: `Authorization: Bearer <token>` (401 `invalid_metrics_token` otherwise). Unset: served to loopback clients only (404 to others), and to nobody when TRUST_PROXY is set.',
      },
    },
    async (request, reply) => {
      if (expected) {
        const given = request.headers.authorization;
        if (given === undefined || !timingSafeEqual(digest(given), expected)) {
          return sendError(reply, 'invalid_metrics_token', 'GET /metrics needs Authorization: Bearer <POSTGATE_METRICS_TOKEN>');
        }
      } else if (deps.config.trustProxy.length > 0 || !isLocalUnproxied(request)) {
        // Behind a declared proxy every client may arrive from loopback, with or without a
        // header naming it: only the token can tell the scraper apart then.
        return sendError(reply, 'not_found', `No route GET ${request.url.split('?')[0]}`);
      }
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );
}

const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The socket's peer is loopback and no proxy header is present. Security: a reverse proxy on the
 * same host makes every outside client look local; it announces itself with these headers, and
 * such a request is refused rather than trusted.
 */
function isLocalUnproxied(request: FastifyRequest): boolean {
  if (PROXY_HEADERS.some((name) => request.headers[name] !== undefined)) return false;
  const peer = request.socket.remoteAddress;
  if (!peer || !ipaddr.isValid(peer)) return false;
  return ipaddr.process(peer).range() === 'loopback';
}
