import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../../app/deps.js';
import { AppError } from '../../../lib/errors.js';
import { LoginThrottle } from '../../../modules/accounts/login-throttle.js';
import { loginBody, sessionObject, setupBody, switchProjectBody, twoFactorChallenge, twoFactorLoginBody, type SessionObject } from '../../../modules/accounts/schemas.js';
import { csrfTokenFor } from '../../../modules/accounts/secrets.js';
import { endSession, resolveSession, startSession, switchProject, type DashboardSession } from '../../../modules/accounts/sessions.js';
import { completeSetup, setupRequired } from '../../../modules/accounts/setup.js';
import { authenticateUser, type AccountDeps } from '../../../modules/accounts/users.js';
import { sendError } from '../../plugins/errors.js';
import { requestContextOf } from '../../request-context.js';
import {
  anonymousCsrfToken,
  clearSessionCookie,
  SESSION_COOKIE,
  sessionOf,
  setSessionCookie,
} from '../../plugins/session.js';

const tags = ['Dashboard'];
const anonymous = { auth: 'public' } as const;
// Every member may see and end their own session.
const signedIn = { auth: 'session', access: 'account' } as const;

/** Status, setup, sign-in (with its two-factor step), sign-out and the signed-in user. */
export function dashboardSessionRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts: AccountDeps = { db: deps.database.db, clock: deps.clock };
  const throttle = new LoginThrottle(deps.loginFailures, deps.limits.failures, deps.clock);

  r.get('/dashboard/api/session', {
    config: anonymous,
    schema: { tags, summary: 'Whether setup is needed, who is signed in, and the CSRF token', response: { 200: sessionObject } },
    handler: async (req, reply) => {
      const sessionId = req.cookies[SESSION_COOKIE];
      const session = sessionId ? await resolveSession(accounts, sessionId) : undefined;
      if (sessionId && session) return present(session, csrfTokenFor(sessionId));
      return { ...signedOut(anonymousCsrfToken(req, reply)), setup_required: await setupRequired(accounts) };
    },
  });

  r.post('/dashboard/api/setup', {
    config: anonymous,
    schema: { tags, summary: 'Create the owner account and organization with the printed setup code', body: setupBody, response: { 201: sessionObject } },
    handler: async (req, reply) => {
      const client = req.client.limitKey;
      const wait = await throttle.blockedFor('setup', client);
      if (wait > 0) return tooManyFailures(reply, wait);
      try {
        const { user } = await completeSetup(accounts, {
          setupCode: req.body.setup_code,
          email: req.body.email,
          password: req.body.password,
          organizationName: req.body.organization_name,
        });
        return reply.code(201).send(await signIn(req, reply, accounts, user.id));
      } catch (error) {
        if (error instanceof AppError && error.details.field === 'setup_code') {
          const blocked = await throttle.recordFailure('setup', client);
          if (blocked > 0) return tooManyFailures(reply, blocked);
        }
        throw error;
      }
    },
  });

  r.post('/dashboard/api/login', {
    config: anonymous,
    schema: {
      tags,
      summary: 'Sign in (5 wrong passwords per account and address: 429 for 15 minutes); with two-factor on, answers a challenge instead of a session',
      body: loginBody,
      response: { 200: z.union([sessionObject, twoFactorChallenge]) },
    },
    handler: async (req, reply) => {
      const client = req.client.limitKey;
      const wait = await throttle.blockedFor(req.body.email, client);
      if (wait > 0) return tooManyFailures(reply, wait);
      const user = await authenticateUser(accounts, req.body.email, req.body.password);
      if (!user) {
        const blocked = await throttle.recordFailure(req.body.email, client);
        if (blocked > 0) return tooManyFailures(reply, blocked);
        return sendError(reply, 'invalid_credentials', 'Wrong email or password');
      }
      if (user.totpEnabledAt) {
        // Not a session yet: the password was right, the second factor is still owed.
        const pending = deps.services.twoFactor.challenge(user.id);
        return { object: 'two_factor_challenge' as const, challenge: pending.challenge, expires_at: pending.expiresAt.toISOString() };
      }
      return signIn(req, reply, accounts, user.id);
    },
  });

  r.post('/dashboard/api/login/two-factor', {
    config: anonymous,
    schema: {
      tags,
      summary: "Sign in's second step: the challenge and a TOTP code or an unused recovery code (failures count with wrong passwords)",
      body: twoFactorLoginBody,
      response: { 200: sessionObject },
    },
    handler: async (req, reply) => {
      const client = req.client.limitKey;
      const userId = deps.services.twoFactor.readChallenge(req.body.challenge);
      if (!userId) return sendError(reply, 'invalid_two_factor_code', 'The sign-in challenge is malformed or expired: sign in with your password again');
      // Counted against the same account and address as wrong passwords (keyed by user id here:
      // the challenge names no email), so codes cannot be guessed faster than passwords.
      const wait = await throttle.blockedFor(userId, client);
      if (wait > 0) return tooManyFailures(reply, wait);
      if (!(await deps.services.twoFactor.verify(userId, req.body.code))) {
        const blocked = await throttle.recordFailure(userId, client);
        if (blocked > 0) return tooManyFailures(reply, blocked);
        return sendError(reply, 'invalid_two_factor_code', 'Wrong or already used code');
      }
      return signIn(req, reply, accounts, userId);
    },
  });

  r.post('/dashboard/api/logout', {
    config: signedIn,
    schema: { tags, summary: 'Sign out: the session ends on the server at once', response: { 200: sessionObject } },
    handler: async (req, reply) => {
      await endSession(accounts, sessionOf(req).sessionId);
      clearSessionCookie(req, reply);
      return signedOut(anonymousCsrfToken(req, reply, true));
    },
  });

  r.post('/dashboard/api/session/project', {
    config: signedIn,
    schema: { tags, summary: "Switch the dashboard to another project of the organization (its keys, domains and emails)", body: switchProjectBody, response: { 200: sessionObject } },
    handler: async (req) => {
      const session = sessionOf(req);
      await switchProject(accounts, session, req.body.project_id);
      return present((await resolveSession(accounts, session.sessionId))!, csrfTokenFor(session.sessionId));
    },
  });

  r.get('/dashboard/api/me', {
    config: signedIn,
    schema: { tags, summary: 'The signed-in user, their organization and the CSRF token', response: { 200: sessionObject } },
    handler: async (req) => {
      const session = sessionOf(req);
      return present(session, csrfTokenFor(session.sessionId));
    },
  });
}

/** Starts a new session (a new id: the one the browser held is ended) and sets its cookie. */
export async function signIn(req: FastifyRequest, reply: FastifyReply, accounts: AccountDeps, userId: string): Promise<SessionObject> {
  const { ip, userAgent } = requestContextOf(req);
  const started = await startSession(accounts, userId, req.cookies[SESSION_COOKIE], { ip, userAgent });
  setSessionCookie(req, reply, started);
  const session = await resolveSession(accounts, started.sessionId);
  if (!session) throw new Error('a session just started cannot be found');
  return present(session, started.csrfToken);
}

function present(session: DashboardSession, csrfToken: string): SessionObject {
  return {
    object: 'session',
    setup_required: false,
    user: { id: session.userId, email: session.email, role: session.role, two_factor_enabled: session.twoFactorEnabled },
    organization: { id: session.organizationId, name: session.organizationName, plan: session.plan },
    project_id: session.projectId,
    csrf_token: csrfToken,
    expires_at: session.expiresAt.toISOString(),
  };
}

function signedOut(csrfToken: string): SessionObject {
  return { object: 'session', setup_required: false, user: null, organization: null, csrf_token: csrfToken, expires_at: null };
}

export function tooManyFailures(reply: FastifyReply, seconds: number): FastifyReply {
  reply.header('retry-after', String(seconds));
  return sendError(reply, 'too_many_auth_failures', `Too many failed attempts; retry after ${seconds}s`);
}
