import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { clientAddress, type ClientAddress } from '../../lib/client-address.js';
import type { AuthOutcome } from '../../modules/api-keys/authenticate.js';
import type { Principal } from '../../modules/api-keys/principal.js';
import type { Scope } from '../../modules/api-keys/scopes.js';
import { sendError } from './errors.js';
import { admitConcurrent, rateHeaders } from './limits.js';
import { logRequest, sentStatus } from './request-log.js';

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
    /** The key presented, once known to be real: the principal's, or a refused key's (scope, address, rate). */
    keyId: string | undefined;
    /** The parsed client address; `client.address` is undefined only for a malformed peer. */
    client: ClientAddress;
  }
}

const BEARER = /^Bearer[ ]+(\S*)$/i;

/**
 * The HTTP edge of authentication: the client's address (X-Forwarded-For believed only from
 * TRUST_PROXY peers), its concurrency slot, then the one authentication path
 * (modules/api-keys/authenticate.ts) in onRequest, before the body is even read; the key's use
 * is recorded when the response closes. Routes declare what they need in `config.auth`.
 */
export function registerAuth(app: FastifyInstance, deps: Deps): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('keyId', undefined);
  app.decorateRequest('client', undefined as unknown as ClientAddress);

  app.addHook('onRoute', (route) => {
    if (!route.config?.auth) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no auth requirement (config.auth)`);
    }
    if (route.config.auth !== 'public' && route.config.auth !== 'session') {
      route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    request.client = clientAddress(request.ip);
    const route = request.routeOptions;
    const release = await admitConcurrent(deps, request, reply, route.url);
    if (!release) return reply;
    // One listener for the end of the request, however it ends: 'close' comes on completion and
    // on client abort alike, so an aborted request frees its slot and still counts as a use.
    // A client that left while the slot was being taken has closed already.
    const closed = (): void => {
      release();
      recordUse(request, reply, route.url);
      logRequest(deps, request, reply);
    };
    if (reply.raw.destroyed || reply.raw.writableEnded) closed();
    else reply.raw.once('close', closed);

    const auth = route.config.auth;
    // Unknown routes (404) carry no config; they are answered by the not-found handler.
    if (auth === undefined || auth === 'public' || auth === 'session') return undefined;
    const outcome = await deps.authenticator.authenticate({
      credential: credentialOf(request),
      client: request.client,
      need: auth === 'any_key' ? 'any_key' : auth.scope,
    });
    if (outcome.rate) rateHeaders(reply, outcome.rate);
    if (outcome.ok) {
      request.principal = outcome.principal;
      request.keyId = outcome.principal.keyId;
      return undefined;
    }
    request.keyId = outcome.keyId;
    return refuse(reply, outcome);
  });

  /** A key's use, denials included, with the status sent; 499 (client closed request) when none was. */
  const recordUse = (request: FastifyRequest, reply: FastifyReply, url: string | undefined): void => {
    const keyId = request.keyId;
    if (keyId === undefined) return;
    deps.authenticator.recordUse({
      keyId,
      method: request.method,
      url: url ?? '',
      status: sentStatus(reply),
      ip: request.client.text,
    });
  };
}


/**
 * The bearer token, '' for an Authorization header that holds none (refused and counted like a
 * wrong key), undefined when there is no header at all. Keys in the URL are never read.
 */
function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') return undefined;
  return BEARER.exec(header)?.[1] ?? '';
}

function refuse(reply: FastifyReply, denial: Exclude<AuthOutcome, { ok: true }>): FastifyReply {
  if (denial.retryAfterSeconds !== undefined) reply.header('retry-after', String(denial.retryAfterSeconds));
  return sendError(reply, denial.code, denial.message);
}

/** The verified principal of a route that required one (onRequest guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new Error('principalOf called on a route without authentication');
  return principal;
}
