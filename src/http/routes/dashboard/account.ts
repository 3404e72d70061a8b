import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../../app/deps.js';
import { AppError } from '../../../lib/errors.js';
import { LoginThrottle } from '../../../modules/accounts/login-throttle.js';
import { codeBody, sessionObject, sessionSummary, twoFactorEnrollment, twoFactorState } from '../../../modules/accounts/schemas.js';
import { listUserSessions, revokeOtherSessions, revokeUserSession } from '../../../modules/accounts/session-list.js';
import type { AccountDeps } from '../../../modules/accounts/users.js';
import { acceptBody, deleted, idParams, listOf } from '../../../modules/team/schemas.js';
import { memberOf, sessionOf } from '../../plugins/session.js';
import { requestContextOf } from '../../request-context.js';
import { signIn, tooManyFailures } from './session.js';

const tags = ['Dashboard'];
// One's own sessions and two-factor: every member, whatever their role.
const own = { auth: 'session', access: 'account' } as const;
const anonymous = { auth: 'public' } as const;

/** The account page (sessions, two-factor) and accepting an invitation. */
export function accountRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts: AccountDeps = { db: deps.database.db, clock: deps.clock };
  const twoFactor = deps.services.twoFactor;
  const throttle = new LoginThrottle(deps.loginFailures, deps.limits.failures, deps.clock);

  r.get('/dashboard/api/sessions', {
    config: own,
    schema: { tags, summary: "The signed-in user's sessions (`current`: this one)", response: { 200: listOf(sessionSummary) } },
    handler: async (req) => {
      const session = sessionOf(req);
      return { object: 'list' as const, has_more: false, data: await listUserSessions(accounts, session.userId, session.sessionId) };
    },
  });

  r.delete('/dashboard/api/sessions/:id', {
    config: own,
    schema: { tags, summary: 'End one of your sessions (this one too: then you are signed out)', params: idParams, response: { 200: deleted('session_summary') } },
    handler: async (req) => revokeUserSession(accounts, sessionOf(req).userId, req.params.id),
  });

  r.post('/dashboard/api/sessions/revoke-others', {
    config: own,
    schema: { tags, summary: 'Sign out everywhere else: every session of yours but this one ends', response: { 200: z.object({ revoked: z.number().int() }) } },
    handler: async (req) => revokeOtherSessions(accounts, sessionOf(req).userId, sessionOf(req).sessionId),
  });

  r.get('/dashboard/api/two-factor', {
    config: own,
    schema: { tags, summary: 'Whether two-factor sign-in is on, and how many recovery codes are left', response: { 200: twoFactorState } },
    handler: async (req) => {
      const session = sessionOf(req);
      const left = session.twoFactorEnabled ? await twoFactor.recoveryCodesLeft(session.userId) : 0;
      return { object: 'two_factor' as const, enabled: session.twoFactorEnabled, recovery_codes_left: left };
    },
  });

  r.post('/dashboard/api/two-factor/enroll', {
    config: own,
    schema: { tags, summary: 'Start setting up two-factor: a new secret and its otpauth:// URI, shown once', response: { 200: twoFactorEnrollment } },
    handler: async (req) => twoFactor.enroll(memberOf(req)),
  });

  r.post('/dashboard/api/two-factor/confirm', {
    config: own,
    schema: { tags, summary: 'Confirm with a first code: two-factor is on; 10 recovery codes, shown once', body: codeBody, response: { 200: twoFactorState } },
    handler: async (req) => twoFactor.confirm(memberOf(req), req.body.code),
  });

  r.post('/dashboard/api/two-factor/disable', {
    config: own,
    schema: { tags, summary: 'Turn two-factor off (needs a current code)', body: codeBody, response: { 200: twoFactorState } },
    handler: async (req) => twoFactor.disable(memberOf(req), req.body.code),
  });

  r.post('/dashboard/api/invitations/accept', {
    config: anonymous,
    schema: {
      tags,
      summary: "Accept an invitation: the link's token and a password create the account with the invited role, signed in",
      body: acceptBody,
      response: { 201: sessionObject },
    },
    handler: async (req, reply) => {
      const client = req.client.limitKey;
      // Tokens cannot be guessed (256 bits), but dead links still count like wrong passwords.
      const wait = await throttle.blockedFor('invitation', client);
      if (wait > 0) return tooManyFailures(reply, wait);
      try {
        const user = await deps.services.team.accept({ token: req.body.token, password: req.body.password, request: requestContextOf(req) });
        return reply.code(201).send(await signIn(req, reply, accounts, user.id));
      } catch (error) {
        if (error instanceof AppError && error.code === 'invitation_invalid') {
          const blocked = await throttle.recordFailure('invitation', client);
          if (blocked > 0) return tooManyFailures(reply, blocked);
        }
        throw error;
      }
    },
  });
}
