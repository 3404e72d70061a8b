import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { clientAddress, type ClientAddress } from '../../lib/client-address.js';
import { chain, type MaybePromise } from '../../lib/maybe-promise.js';
import type { Principal } from '../../modules/api-keys/principal.js';
import { hasScope, type Scope } from '../../modules/api-keys/scopes.js';
import { newUsageMemo, type UsageMemo } from '../../modules/api-keys/usage-recorder.js';
import { recallMemo, verifyApiKey, type TokenMemo, type VerifyDenial, type VerifyDeps, type VerifyResult } from '../../modules/api-keys/verify.js';
import { AuthGuard } from '../../modules/limits/auth-guard.js';
import type { ConcurrencySlot } from '../../modules/limits/types.js';
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
  const proxied = deps.config.trustProxy.length > 0;
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
  // the key and the plan rate. Callback style and `chain`, not async: with in-process stores a
  // warm request runs it synchronously, with no promise. A step that answers (401, 429) sends the
  // reply itself; Fastify then skips the rest of the request.
  app.addHook('onRequest', (request, reply, done) => {
    const connection = connectionOf(request);
    // A connection's peer never changes: parsed once per connection, unless a trusted proxy may
    // name another client on each request (X-Forwarded-For).
    request.client = connection && !proxied ? (connection.peer ??= clientAddress(request.ip)) : clientAddress(request.ip);
    // Fastify 5 builds a new routeOptions object at each read: read once.
    const route = request.routeOptions;
    let slot: ConcurrencySlot | null = null;
    // Fastify runs the rest of the request from done(): a warm request has been answered when it
    // returns, and is settled at once; otherwise when its response closes. A step that failed
    // (a database error) is answered by the error handler, and its slot freed all the same.
    const proceed = (error?: unknown): void => {
      done(error as Error | undefined);
      if (slot !== null) settleWhenClosed(deps, request, reply, route.url, slot, connection?.usage);
    };
    let outcome: MaybePromise<unknown>;
    try {
      outcome = chain(admitConcurrent(deps, request, reply, route.url), (taken) => {
        if (taken === null) return undefined;
        slot = taken;
        const auth = route.config.auth;
        // Unknown routes (404) carry no config; they are answered by the not-found handler.
        if (auth === undefined || auth === 'public' || auth === 'session') return undefined;
        return authenticate(ctx, request, reply, auth, connection?.token);
      });
    } catch (error) {
      return proceed(error);
    }
    if (outcome instanceof Promise) outcome.then(() => proceed(), proceed);
    else proceed();
  });
}

/**
 * Frees the request's concurrency slot and records the key's use once its response has ended,
 * or its client has gone: now if so already, else on the response's 'close' (fired on completion
 * and on client abort alike; release is idempotent). No onResponse hook is needed.
 */
function settleWhenClosed(deps: Deps, request: FastifyRequest, reply: FastifyReply, url: string | undefined, slot: ConcurrencySlot, usage: UsageMemo | undefined): void {
  const response = reply.raw;
  // `on`, not `once`: a response closes once, and once's wrapper and removal cost more.
  if (!response.writableEnded && !response.destroyed) response.on('close', () => settle(deps, request, reply, url, slot, usage));
  else settle(deps, request, reply, url, slot, usage);
}

function settle(deps: Deps, request: FastifyRequest, reply: FastifyReply, url: string | undefined, slot: ConcurrencySlot, usage: UsageMemo | undefined): void {
  void slot.release();
  const principal = request.principal;
  if (principal) deps.usage.record({ keyId: principal.keyId, method: request.method, url: url ?? '', status: reply.statusCode, ip: request.client.text }, usage);
}

type AuthContext = { deps: Deps; verifyDeps: VerifyDeps; guard: AuthGuard };

function authenticate(
  ctx: AuthContext,
  request: FastifyRequest,
  reply: FastifyReply,
  auth: Exclude<RouteAuth, 'public' | 'session'>,
  memo: TokenMemo | undefined,
): MaybePromise<unknown> {
  const blocked = ctx.guard.blockedFor(clientKey(request));
  if (blocked > 0) return tooManyFailures(reply, blocked);
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    return sendError(reply, 'missing_api_key', 'Missing API key: send it as Authorization: Bearer <key> (never in the URL)');
  }
  const verified = verifyHeader(ctx, request, header, memo);
  if (verified === undefined) return refuse(ctx, request, reply, undefined);
  return chain(verified, (result) => {
    if (!result.ok) return refuse(ctx, request, reply, result.code);
    request.principal = result.principal;
    if (auth !== 'any_key' && !hasScope(result.principal.scopes, auth.scope)) {
      return sendError(reply, 'insufficient_scope', `This API key lacks the scope ${auth.scope}`);
    }
    return enforcePlanRate(ctx.deps, request, reply);
  });
}

/**
 * The key behind an Authorization header, or undefined for a header that is not a bearer token.
 * A keep-alive connection repeating its header is answered from its memo, before any parsing.
 */
function verifyHeader(ctx: AuthContext, request: FastifyRequest, header: string, memo: TokenMemo | undefined): MaybePromise<VerifyResult> | undefined {
  if (memo !== undefined) {
    const recalled = recallMemo(ctx.verifyDeps, memo, header, request.client.address);
    if (recalled !== undefined) return recalled;
  }
  const match = BEARER.exec(header);
  if (!match || match[1] === '') return undefined;
  return verifyApiKey(ctx.verifyDeps, match[1]!, request.client.address, memo && { memo, as: header });
}

/** A key that did not verify: 403 for a known key from a refused address, else 401, counted. */
async function refuse(ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, code: VerifyDenial | undefined): Promise<FastifyReply> {
  if (code === 'ip_not_allowed') {
    return sendError(reply, 'ip_not_allowed', `This API key cannot be used from ${request.client.text}`);
  }
  const wait = await ctx.guard.recordFailure(clientKey(request));
  if (wait > 0) return tooManyFailures(reply, wait);
  return sendError(reply, 'invalid_api_key', 'Invalid API key');
}

/** What a connection remembers: its peer, and its last request. It lives and dies with the socket. */
type ConnectionMemo = { token: TokenMemo; usage: UsageMemo; peer: ClientAddress | undefined };

const CONNECTION_MEMO = Symbol('postgate.connectionMemo');
type MemoSocket = { [CONNECTION_MEMO]?: ConnectionMemo };

/** The memo of the request's connection: its peer's address, its credential (verify.ts) and its use (usage-recorder.ts). */
function connectionOf(request: FastifyRequest): ConnectionMemo | undefined {
  const socket = request.raw.socket as (typeof request.raw.socket & MemoSocket) | null;
  if (!socket) return undefined;
  return (socket[CONNECTION_MEMO] ??= { token: { last: undefined }, usage: newUsageMemo(), peer: undefined });
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
