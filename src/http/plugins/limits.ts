import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { chain, type MaybePromise } from '../../lib/maybe-promise.js';
import type { Principal } from '../../modules/api-keys/principal.js';
import type { ConcurrencySlot, RateDecision } from '../../modules/limits/types.js';
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

/** The slot of a request outside the concurrency limit (health checks). */
const NO_SLOT: ConcurrencySlot = Object.freeze({ ok: true as const, release: () => undefined });

/**
 * Takes a per-client concurrency slot for the request, or answers 429 and returns null. Called
 * first thing by the one onRequest hook (plugins/auth.ts), which frees the slot when the
 * response ends or the client goes away. `url` is the route's pattern.
 */
export function admitConcurrent(deps: Deps, request: FastifyRequest, reply: FastifyReply, url: string | undefined): MaybePromise<ConcurrencySlot | null> {
  if (UNLIMITED_PATHS.has(url ?? '')) return NO_SLOT;
  const max = deps.config.ipConcurrency;
  return chain(deps.limits.concurrency.acquire(clientKey(request), max), (slot) => {
    if (slot.ok) return slot;
    reply.header('retry-after', '1');
    sendError(reply, 'concurrency_limit_exceeded', `At most ${max} requests may be in flight from one address`);
    return null;
  });
}

/** Called by the auth hook once a principal is known; sends the 429 itself when over the plan. */
export function enforcePlanRate(deps: Deps, request: FastifyRequest, reply: FastifyReply): MaybePromise<boolean> {
  const principal = request.principal!;
  const perSecond = deps.config.planRates[principal.plan];
  return chain(deps.limits.rate.consume(`org:${principal.organizationId}`, perSecond), (decision) => planDecision(reply, principal, decision));
}

function planDecision(reply: FastifyReply, principal: Principal, decision: RateDecision): boolean {
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
