import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import type { RateDecision } from '../../modules/limits/types.js';
import { sendError } from './errors.js';

// Service protection at the HTTP edge: per client (an IPv4 address, an IPv6 /64), at most
// POSTGATE_IP_CONCURRENCY requests in flight, taken before anything else and freed when the
// response closes (completed, or the client went away). The plan's rate is part of authentication
// (modules/api-keys/authenticate.ts); its decision comes back here as ratelimit-* headers.

const UNLIMITED_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Takes a concurrency slot for the request: its release (to call when the response closes,
 * however it ends), or undefined after answering 429. `url` is the route's pattern.
 */
export async function admitConcurrent(deps: Deps, request: FastifyRequest, reply: FastifyReply, url: string | undefined): Promise<(() => void) | undefined> {
  if (UNLIMITED_PATHS.has(url ?? '')) return NOTHING_HELD;
  const max = deps.config.ipConcurrency;
  const slot = await deps.limits.concurrency.acquire(request.client.limitKey, max);
  if (!slot.ok) {
    reply.header('retry-after', '1');
    sendError(reply, 'concurrency_limit_exceeded', `At most ${max} requests may be in flight from one address`);
    return undefined;
  }
  return () => void slot.release();
}

const NOTHING_HELD = (): void => undefined;

/** The plan's rate on every authenticated reply, so clients can pace themselves. */
export function rateHeaders(reply: FastifyReply, decision: RateDecision): void {
  if (!Number.isFinite(decision.limit)) return;
  reply.header('ratelimit-limit', String(decision.limit));
  reply.header('ratelimit-remaining', String(decision.remaining));
  reply.header('ratelimit-reset', String(decision.resetSeconds));
}
