import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { sendError } from './errors.js';

// Service protection at the HTTP edge:
// - per client IP, at most POSTGATE_IP_CONCURRENCY requests in flight (taken before anything
//   else, freed when the response ends or the client goes away);
// - per organization, the plan's requests per second (after authentication), with the
//   ratelimit-* headers on every rate-limited route and Retry-After on a 429.

const UNLIMITED_PATHS = new Set(['/healthz', '/readyz']);

/** The key that per-IP counters use: IPv6 clients by /64, since one host can own a whole /64. */
export function clientKey(request: FastifyRequest): string {
  return request.client.limitKey;
}

/**
 * Takes a per-client concurrency slot for the request, or answers 429 and returns false. Called
 * first thing by the one onRequest hook (plugins/auth.ts).
 */
export async function admitConcurrent(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (UNLIMITED_PATHS.has(request.routeOptions.url ?? '')) return true;
  const max = deps.config.ipConcurrency;
  const slot = await deps.limits.concurrency.acquire(clientKey(request), max);
  if (!slot.ok) {
    reply.header('retry-after', '1');
    sendError(reply, 'concurrency_limit_exceeded', `At most ${max} requests may be in flight from one address`);
    return false;
  }
  // 'close' fires on completion and on client abort alike; release is idempotent.
  reply.raw.once('close', () => void slot.release());
  return true;
}

/** Called by the auth hook once a principal is known; sends the 429 itself when over the plan. */
export async function enforcePlanRate(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const principal = request.principal!;
  const perSecond = deps.config.planRates[principal.plan];
  const decision = await deps.limits.rate.consume(`org:${principal.organizationId}`, perSecond);
  if (Number.isFinite(decision.limit)) {
    reply.header('ratelimit-limit', String(decision.limit));
    reply.header('ratelimit-remaining', String(decision.remaining));
    reply.header('ratelimit-reset', String(decision.resetSeconds));
  }
  if (decision.allowed) return true;
  reply.header('retry-after', String(decision.retryAfterSeconds));
  sendError(reply, 'rate_limit_exceeded', `Over the ${principal.plan} plan's ${decision.limit} requests per second; retry after ${decision.retryAfterSeconds}s`);
  return false;
}
