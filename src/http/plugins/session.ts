import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';
import { operator, OPERATOR_SCOPES, withRequest, type Actor, type Operator } from '../../modules/api-keys/principal.js';
import { SCOPES } from '../../modules/api-keys/scopes.js';

const VIEWER_SCOPES: ReadonlySet<string> = new Set(SCOPES.filter((scope) => scope.endsWith(':read')));
import { csrfTokenFor, randomSecret, sameToken } from '../../modules/accounts/secrets.js';
import { resolveSession, type DashboardSession, type StartedSession } from '../../modules/accounts/sessions.js';
import { roleAllows, type DashboardAccess, type Member } from '../../modules/team/roles.js';
import { requestContextOf } from '../request-context.js';
import { sendError } from './errors.js';

// Dashboard sessions and CSRF protection, for the routes of the dashboard scope only (the public
// API never parses cookies, so a session can never stand in for an API key, and these routes
// never read Authorization, so a key can never open a session).
//
// Every state change (any method but GET/HEAD/OPTIONS) must
//   1. come from this origin when the browser says where it comes from (Sec-Fetch-Site, Origin);
//   2. carry X-CSRF-Token: on session routes the token derived from the session id, on the
//      anonymous ones (sign-in, setup) the value of the postgate_csrf cookie (double submit).
// A cross-site page can send the cookies but can neither read the token nor set the header.
//
// Then the member's role (read with the session, so a change applies to the very next request)
// must allow the route's declared `access` (modules/team/roles.ts): the scope the same route
// needs from an API key, or a team permission. A session route that declares none is left to
// owners only: forgetting to declare fails closed (and the role matrix test names the route).

export const SESSION_COOKIE = 'postgate_session';
export const CSRF_COOKIE = 'postgate_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type RequestSession = DashboardSession & { sessionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    dashboardSession: RequestSession | undefined;
  }
  interface FastifyContextConfig {
    /** What a dashboard session route needs from the member's role. */
    access?: DashboardAccess;
  }
}

export async function registerSession(scope: FastifyInstance, deps: Deps): Promise<void> {
  const accounts = { db: deps.database.db, clock: deps.clock };
  await scope.register(fastifyCookie);
  scope.decorateRequest('dashboardSession', undefined);

  scope.addHook('onRequest', async (request, reply) => {
    // Signed-in pages and tokens must not be kept by the browser or a proxy.
    reply.header('cache-control', 'no-store');
    const changesState = !SAFE_METHODS.has(request.method);
    if (changesState && !sameOrigin(request)) {
      return sendError(reply, 'csrf_rejected', 'Cross-site request refused: dashboard changes must come from the dashboard itself');
    }
    const token = headerValue(request.headers[CSRF_HEADER]);
    if (request.routeOptions.config.auth !== 'session') {
      const expected = request.cookies[CSRF_COOKIE];
      if (changesState && (!expected || !sameToken(token, expected))) return csrfRefused(reply);
      return undefined;
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    const session = sessionId ? await resolveSession(accounts, sessionId) : undefined;
    if (!sessionId || !session) {
      if (sessionId) clearSessionCookie(request, reply);
      return sendError(reply, 'session_required', 'Not signed in: sign in to the dashboard (no session, or it expired or was ended)');
    }
    if (changesState && !sameToken(token, csrfTokenFor(sessionId))) return csrfRefused(reply);
    const access = request.routeOptions.config.access;
    // No declared access: owners only, until the route says more (the role matrix names it).
    if (access ? !roleAllows(session.role, access) : session.role !== 'owner') {
      return sendError(reply, 'insufficient_role', `Your role (${session.role}) does not allow this`);
    }
    request.dashboardSession = { ...session, sessionId };
    return undefined;
  });
}

/** The session of a route declared `auth: 'session'` (the hook guarantees it). */
export function sessionOf(request: FastifyRequest): RequestSession {
  const session = request.dashboardSession;
  if (!session) throw new Error('sessionOf called on a route without a session');
  return session;
}

/** A signed-in user acts with full access, within their own organization only. */
export function actorOf(request: FastifyRequest): Actor {
  return operatorOf(request);
}

function operatorOf(request: FastifyRequest): Operator {
  const session = sessionOf(request);
  const user = { type: 'user' as const, id: session.userId, name: session.email };
  // A viewer's actor holds read scopes only, so a use case that hands out more to those allowed to
  // write (a webhook's signing secret) keeps it from viewers too.
  const scopes = session.role === 'viewer' ? VIEWER_SCOPES : OPERATOR_SCOPES;
  return withRequest({ ...operator(session.organizationId, session.projectId, user), scopes, projectOnly: true }, requestContextOf(request));
}

/** The signed-in member: the actor, and who they are and what role they hold, for the team rules. */
export function memberOf(request: FastifyRequest): Member {
  const session = sessionOf(request);
  return { actor: operatorOf(request), userId: session.userId, email: session.email, role: session.role };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, started: StartedSession): void {
  reply.setCookie(SESSION_COOKIE, started.sessionId, { ...cookieBase(request), path: '/', sameSite: 'lax', expires: started.expiresAt });
  // The anonymous token has served its purpose; the session's own token replaces it.
  reply.clearCookie(CSRF_COOKIE, { ...cookieBase(request), path: '/dashboard/api', sameSite: 'strict' });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { ...cookieBase(request), path: '/', sameSite: 'lax' });
}

/** The anonymous CSRF token of this browser (sign-in and setup), set as a cookie when new. */
export function anonymousCsrfToken(request: FastifyRequest, reply: FastifyReply, fresh = false): string {
  const current = request.cookies[CSRF_COOKIE];
  if (!fresh && current && /^[A-Za-z0-9_-]{43}$/.test(current)) return current;
  const token = randomSecret();
  reply.setCookie(CSRF_COOKIE, token, { ...cookieBase(request), path: '/dashboard/api', sameSite: 'strict' });
  return token;
}

// Security: HttpOnly (scripts cannot read it), Secure whenever the request came over TLS.
function cookieBase(request: FastifyRequest): { httpOnly: true; secure: boolean } {
  return { httpOnly: true, secure: request.protocol === 'https' };
}

/** False when the browser says the request comes from another site or origin. */
function sameOrigin(request: FastifyRequest): boolean {
  const site = headerValue(request.headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = headerValue(request.headers.origin);
  return origin === undefined || origin === `${request.protocol}://${request.host}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function csrfRefused(reply: FastifyReply): FastifyReply {
  return sendError(reply, 'csrf_rejected', `Missing or wrong ${CSRF_HEADER} header: reload the dashboard and try again`);
}
