import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../../lib/errors.js';

/** HTTP status of every code: `satisfies` makes a new code impossible to forget here. */
export const HTTP_STATUS = {
  invalid_json: 400,
  invalid_header: 400,
  bad_request: 400,
  invalid_url: 400,
  missing_api_key: 401,
  invalid_api_key: 401,
  session_required: 401,
  invalid_credentials: 401,
  csrf_rejected: 403,
  insufficient_scope: 403,
  privilege_escalation: 403,
  ip_not_allowed: 403,
  domain_not_allowed: 403,
  domain_not_verified: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  invalid_idempotent_request: 409,
  concurrent_idempotent_requests: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_error: 422,
  invalid_message: 422,
  api_key_limit_reached: 422,
  rate_limit_exceeded: 429,
  concurrency_limit_exceeded: 429,
  too_many_auth_failures: 429,
  internal_server_error: 500,
  service_unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

export type ErrorBody = { statusCode: number; name: ErrorCode; message: string };

export function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const statusCode = HTTP_STATUS[code];
  const body: ErrorBody = { statusCode, name: code, message };
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

/** True when the error (or a cause) says the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DB_DOWN_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
      return true;
    }
  }
  return false;
}

/** Maps every error to the Resend-shaped body; nothing a client sends can produce a 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return sendError(reply, error.code, error.message);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0];
      const context = error.validationContext === 'body' ? [] : [error.validationContext ?? 'request'];
      const path = (first?.instancePath ?? '').split('/').filter(Boolean);
      const unknownKeys = first?.keyword === 'unrecognized_keys' ? (first.params as { keys?: string[] }).keys : undefined;
      if (unknownKeys?.[0]) {
        const field = [...context, ...path, unknownKeys[0]].join('.');
        return sendError(reply, 'validation_error', `${field}: unknown field; it cannot be set here`);
      }
      const field = [...context, ...path].join('.') || 'body';
      return sendError(reply, 'validation_error', `${field}: ${first?.message ?? 'is invalid'}`);
    }
    const framework = frameworkError(error);
    if (framework) return sendError(reply, framework.code, framework.message);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '1');
      return sendError(reply, 'service_unavailable', 'The database is unavailable; retry shortly');
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 'internal_server_error', `Internal error; reference ${request.id}`);
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`));
}

type Refusal = { code: ErrorCode; message: string };

/**
 * The catalogue's code for an error Fastify or a plugin raised about the request itself. Their
 * own messages are never passed on: they name internals, and a client needs only the catalogue.
 */
function frameworkError(error: FastifyError): Refusal | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'The request body is larger than this server accepts' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'invalid_json', message: 'The request body is not valid JSON' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'bad_request', message: 'Content-Length does not match the body' };
  }
  if (error instanceof SyntaxError) return { code: 'invalid_json', message: 'The request body is not valid JSON' };
  const status = typeof error.statusCode === 'number' ? error.statusCode : 0;
  if (status < 400 || status >= 500) return undefined;
  return BY_STATUS[status] ?? { code: 'bad_request', message: 'The request is malformed' };
}

const BY_STATUS: Readonly<Record<number, Refusal>> = {
  404: { code: 'not_found', message: 'Not found' },
  405: { code: 'method_not_allowed', message: 'Method not allowed' },
  413: { code: 'payload_too_large', message: 'The request body is larger than this server accepts' },
  415: { code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json' },
};

/** Fastify's own replies before routing (a URL that cannot be decoded), in the catalogue's shape. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_BAD_URL') {
    sendError(reply, 'invalid_url', 'The URL cannot be decoded: check its percent-encoding');
    return;
  }
  sendError(reply, 'bad_request', 'The request is malformed');
}
