import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../../app/deps.js';
import { pageQuery, toCursor } from '../../../lib/pagination.js';
import { getCapturedMessage, getEmail, listEmails } from '../../../modules/emails/queries.js';
import { emailIdParams, emailList, emailObject } from '../../../modules/emails/schemas.js';
import { actorOf } from '../../plugins/session.js';
import { emailDeps } from '../emails.js';

const config = { auth: 'session' } as const;
const tags = ['Dashboard'];

/** The read side of the public email routes, for the signed-in user's organization: same queries. */
export function dashboardEmailRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const svc = emailDeps(deps);
  const base = '/dashboard/api/emails';

  r.get(base, {
    config,
    schema: { tags, summary: 'List sent emails, newest first', querystring: pageQuery, response: { 200: emailList } },
    handler: async (req) => listEmails(svc, actorOf(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Retrieve an email with the events of its delivery', params: emailIdParams, response: { 200: emailObject } },
    handler: async (req) => getEmail(svc, actorOf(req), req.params.id),
  });

  r.get(`${base}/:id/raw`, {
    config,
    // No response schema: the body is the message itself, not JSON.
    schema: { tags, summary: 'The message the capture transport kept (message/rfc822)', params: emailIdParams },
    handler: async (req, reply) => {
      const message = await getCapturedMessage(svc, actorOf(req), req.params.id);
      // Security: the message is someone else's content. Opened directly, the browser downloads
      // it and never sniffs or renders it in the dashboard's origin (the page renders it in a
      // sandboxed frame after parsing).
      return reply
        .type('message/rfc822')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename="${req.params.id.replace(/[^A-Za-z0-9_-]/g, '_')}.eml"`)
        .send(message);
    },
  });
}
