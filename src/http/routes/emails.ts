import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { AppError } from '../../lib/errors.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import { bodyIssueError, type BodyIssue } from '../../modules/emails/body-issues.js';
import {
  BATCH_VALIDATION_MODES,
  createdBatch,
  createdEmail,
  emailIdParams,
  emailList,
  emailObject,
  IDEMPOTENCY_KEY,
  MAX_BODY_BYTES,
  permissiveBatchBody,
  sendBatchBody,
  sendEmailBody,
  type BatchValidation,
} from '../../modules/emails/schemas.js';
import { principalOf } from '../plugins/auth.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

const send = PUBLIC_API.config('emails:send');
const tags = PUBLIC_API.tags('Emails');

export function emailRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const emails = deps.services.emails;

  r.post('/emails', {
    config: send,
    // Attachments travel base64 in the body: this route alone takes up to 10 MiB (413 beyond).
    bodyLimit: MAX_BODY_BYTES,
    attachValidation: true,
    schema: { tags, summary: 'Send an email (Resend fields; Idempotency-Key honoured)', body: sendEmailBody, response: { 200: createdEmail } },
    handler: async (req) => {
      throwIfInvalid(req);
      return emails.send(principalOf(req), req.body, { idempotencyKey: idempotencyKey(req) });
    },
  });

  r.post('/emails/batch', {
    config: send,
    bodyLimit: MAX_BODY_BYTES,
    attachValidation: true,
    schema: {
      tags,
      summary: 'Send up to 100 emails at once: all or none, or with `x-batch-validation: permissive` the valid ones (the others listed in `errors`)',
      body: sendBatchBody,
      response: { 200: createdBatch },
    },
    handler: async (req) => {
      const options = { idempotencyKey: idempotencyKey(req) };
      if (batchValidation(req) === 'strict') {
        throwIfInvalid(req);
        return emails.sendBatch(principalOf(req), req.body, options);
      }
      // Permissive: only the list itself must be valid here; each item is checked alone by the service.
      const items = permissiveBatchBody.safeParse(req.body);
      if (!items.success) throw bodyIssueError(items.error.issues[0] as BodyIssue);
      return emails.sendBatchPermissive(principalOf(req), items.data, options);
    },
  });

  emailReadRoutes(app, deps, PUBLIC_API);
}

/** Reading emails: served to API keys (emails:read) and to the dashboard alike. */
export function emailReadRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const emails = deps.services.emails;
  const config = edge.config('emails:read');
  const tags = edge.tags('Emails');
  const base = `${edge.prefix}/emails`;

  r.get(base, {
    config,
    schema: { tags, summary: 'List sent emails, newest first', querystring: pageQuery, response: { 200: emailList } },
    handler: async (req) => emails.list(edge.actor(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Retrieve an email with the events of its delivery', params: emailIdParams, response: { 200: emailObject } },
    handler: async (req) => emails.get(edge.actor(req), req.params.id),
  });

  r.get(`${base}/:id/raw`, {
    config,
    // No response schema: the body is the message itself, not JSON.
    schema: { tags, summary: 'The signed message the capture transport kept (message/rfc822)', params: emailIdParams },
    handler: async (req, reply) => {
      const message = await emails.captured(edge.actor(req), req.params.id);
      // Security: the message is someone else's content. Opened in a browser it is downloaded,
      // never sniffed or rendered in our origin (the dashboard renders it in a sandboxed frame).
      return reply
        .type('message/rfc822')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename="${req.params.id.replace(/[^A-Za-z0-9_-]/g, '_')}.eml"`)
        .send(message);
    },
  });
}

/** `Idempotency-Key`: absent, or 1..256 printable ASCII characters (400 invalid_header otherwise). */
function idempotencyKey(req: FastifyRequest): string | undefined {
  const value = req.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new AppError('invalid_header', 'Idempotency-Key must be 1 to 256 printable ASCII characters, sent once');
  }
  return value;
}

/** `x-batch-validation`: absent is strict (as the SDK's default); anything but the two modes is 400 invalid_header. */
function batchValidation(req: FastifyRequest): BatchValidation {
  const value = req.headers['x-batch-validation'];
  if (value === undefined) return 'strict';
  const mode = BATCH_VALIDATION_MODES.find((m) => m === value);
  if (!mode) throw new AppError('invalid_header', 'x-batch-validation must be strict or permissive, sent once');
  return mode;
}

/**
 * Body validation errors named the way the service names its own: `to[1]`, `[3].subject`.
 * (The routes take them with attachValidation so a batch index reads as `[i]`.)
 */
function throwIfInvalid(req: FastifyRequest): void {
  const error = req.validationError;
  if (!error) return;
  if (!hasZodFastifySchemaValidationErrors(error)) throw error;
  const first = error.validation[0];
  const path = (first?.instancePath ?? '').split('/').filter(Boolean);
  throw bodyIssueError({ ...(first?.params as BodyIssue | undefined), code: first?.keyword, message: first?.message, path });
}
