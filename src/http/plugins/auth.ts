import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { clientAddress, type ClientAddress } from '../../lib/client-address.js';
import type { Principal } from '../../modules/api-keys/principal.js';
import { hasScope, type Scope } from '../../modules/api-keys/scopes.js';
import { verifyApiKey, type VerifyDeps } from '../../modules/api-keys/verify.js';
import { AuthGuard } from '../../modules/limits/auth-guard.js';
import { sendError } from './errors.js';
import { admitConcurrent, clientKey, enforcePlanRate } from './limits.js';

/**
 * What a route needs from its caller. Every route declares one (start-up fails otherwise):
 * `public` (health, OpenAPI), `any_key` (whoami), the scope a key must hold, or `session`
 * (dashboard routes: a signed-in session cookie and CSRF token, checked by plugins/session.ts;
 * API keys are never read there).
 */
export type RouteAuth = 'public' | 'any_key' | 'session' | { scope: Scope };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The parsed client address; `client.address` is undefined only for a malformed peer. */
    client: ClientAddress;
  }
}

const BEARER = /^Bearer[ ]+(\S*)$/i;

/**
 * Authenticates every non-public route in onRequest, before the body is even read, then applies
 * the organization's plan rate. Routes declare what they need in `config.auth`.
 */
export function registerAuth(app: FastifyInstance, deps: Deps): void {
  const ctx: AuthContext = {
    deps,
    verifyDeps: { db: deps.database.db, clock: deps.clock, keyCache: deps.keyCache },
    guard: new AuthGuard(deps.limits.failures, deps.clock),
  };
  app.decorateRequest('principal', undefined);
  app.decorateRequest('client', undefined as unknown as ClientAddress);

  app.addHook('onRoute', (route) => {
    if (!route.config?.auth) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no auth requirement (config.auth)`);
    }
    if (route.config.auth !== 'public' && route.config.auth !== 'session') {
      route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
    }
  });

  // One hook for the whole edge (an async hook per step cost more than the steps): the client
  // address (X-Forwarded-For believed only from TRUST_PROXY peers), its concurrency slot, then
  // the key and the plan rate.
  app.addHook('onRequest', async (request, reply) => {
    const client = clientAddress(request.ip);
    request.client = client;
    if (!(await admitConcurrent(deps, request, reply))) return;
    const auth = request.routeOptions.config.auth;
    // Unknown routes (404) carry no config; they are answered by the not-found handler.
    if (auth === undefined || auth === 'public' || auth === 'session') return;
    await authenticate(ctx, request, reply, auth);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const principal = request.principal;
    if (principal) {
      deps.usage.record({
        keyId: principal.keyId,
        route: `${request.method} ${request.routeOptions.url ?? ''}`,
        status: reply.statusCode,
        ip: request.client.text,
      });
    }
    done();
  });
}

type AuthContext = { deps: Deps; verifyDeps: VerifyDeps; guard: AuthGuard };

async function authenticate(
  ctx: AuthContext,
  request: FastifyRequest,
  reply: FastifyReply,
  auth: Exclude<RouteAuth, 'public' | 'session'>,
): Promise<FastifyReply | undefined> {
  const client = clientKey(request);
  const blocked = ctx.guard.blockedFor(client);
  if (blocked > 0) return tooManyFailures(reply, blocked);
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    return sendError(reply, 'missing_api_key', 'Missing API key: send it as Authorization: Bearer <key> (never in the URL)');
  }
  const match = BEARER.exec(header);
  const result = match && match[1] !== '' ? await verifyApiKey(ctx.verifyDeps, match[1]!, request.client.address) : undefined;
  if (!result?.ok) {
    if (result?.code === 'ip_not_allowed') {
      return sendError(reply, 'ip_not_allowed', `This API key cannot be used from ${request.client.text}`);
    }
    const wait = await ctx.guard.recordFailure(client);
    if (wait > 0) return tooManyFailures(reply, wait);
    return sendError(reply, 'invalid_api_key', 'Invalid API key');
  }
  request.principal = result.principal;
  if (auth !== 'any_key' && !hasScope(result.principal.scopes, auth.scope)) {
    return sendError(reply, 'insufficient_scope', `This API key lacks the scope ${auth.scope}`);
  }
  await enforcePlanRate(ctx.deps, request, reply);
  return undefined;
}

function tooManyFailures(reply: FastifyReply, seconds: number): FastifyReply {
  reply.header('retry-after', String(seconds));
  return sendError(reply, 'too_many_auth_failures', `Too many failed authentications from this address; retry after ${seconds}s`);
}

/** The verified principal of a route that required one (onRequest guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new Error('principalOf called on a route without authentication');
  return principal;
}
