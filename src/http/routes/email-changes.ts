import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import { DOWNLOAD_PATH } from '../../modules/emails/attachments-links.js';
import {
  attachmentList,
  attachmentObject,
  attachmentParams,
  downloadParams,
  downloadQuery,
  emailRef,
  noBody,
  rescheduleBody,
} from '../../modules/emails/change-schemas.js';
import { emailIdParams } from '../../modules/emails/schemas.js';
import { PUBLIC_API } from '../route-edge.js';

// Reschedule, cancel and attachments of an email, Resend's paths (the `resend` SDK's
// emails.update, emails.cancel, emails.attachments.*). Each route declares its auth through
// PUBLIC_API.config(scope) (plugins/auth.ts): emails:send to change an email, emails:read to read
// its attachments. The download behind `download_url` is `auth: 'public'`: its signature is the
// credential (docs/email-changes.md).

export function emailChangeRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const changes = deps.services.emailChanges;
  const edge = PUBLIC_API;
  const send = edge.config('emails:send');
  const read = edge.config('emails:read');
  const tags = edge.tags('Emails');

  r.patch('/emails/:id', {
    config: send,
    schema: {
      tags,
      summary: 'Reschedule a scheduled email (a time now or past sends it now); 409 once it is no longer scheduled',
      params: emailIdParams,
      body: rescheduleBody,
      response: { 200: emailRef },
    },
    handler: async (req) => changes.reschedule(edge.actor(req), req.params.id, req.body),
  });

  r.post('/emails/:id/cancel', {
    config: send,
    schema: { tags, summary: 'Cancel a scheduled email; 409 once it is no longer scheduled', params: emailIdParams, body: noBody, response: { 200: emailRef } },
    handler: async (req) => changes.cancel(edge.actor(req), req.params.id),
  });

  r.get('/emails/:id/attachments', {
    config: read,
    schema: { tags, summary: "List an email's attachments, each with a download link valid for an hour", params: emailIdParams, querystring: pageQuery, response: { 200: attachmentList } },
    handler: async (req) => changes.listAttachments(edge.actor(req), req.params.id, toCursor(req.query)),
  });

  r.get('/emails/:id/attachments/:attachment_id', {
    config: read,
    schema: { tags, summary: 'Retrieve one attachment of an email, with a download link valid for an hour', params: attachmentParams, response: { 200: attachmentObject } },
    handler: async (req) => changes.getAttachment(edge.actor(req), req.params.id, req.params.attachment_id),
  });

  r.get(`${DOWNLOAD_PATH}/:attachment_id`, {
    // No key: the link's signature is the credential, so it works wherever it is handed on, for an hour.
    config: { auth: 'public' },
    schema: { tags, summary: "An attachment's bytes, through the signed download_url (400 when altered or expired)", params: downloadParams, querystring: downloadQuery },
    handler: async (req, reply) => {
      const file = await changes.download({ attachmentId: req.params.attachment_id, expires: req.query.expires, signature: req.query.signature });
      // Security: the bytes are someone else's content served from our origin. They are always
      // downloaded, never sniffed, rendered or run here (an HTML or SVG attachment included).
      return reply
        .type(file.contentType)
        .header('content-disposition', attachmentDisposition(file.filename))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .send(file.content);
    },
  });
}

/**
 * `attachment` with the file name twice (RFC 6266): an ASCII fallback in quotes, and the exact
 * name percent-encoded as UTF-8. The name was sanitised already (no control characters or quotes);
 * a backslash would escape inside the quotes, so the fallback replaces it too.
 */
function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
