import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, catalogueColumn, type ErrorCode } from '../../lib/errors.js';

/** HTTP status of every code, read from the catalogue (lib/errors.ts). */
export const HTTP_STATUS = catalogueColumn((record) => record.http);

/** `field` is the JSON path of the field the error names (`to[2]`, `params.id`), when it names one. */
export type ErrorBody = { statusCode: number; name: ErrorCode; message: string; field?: string };

declare module 'fastify' {
  interface FastifyReply {
    /** The catalogue code of an error response (sendError), for what counts responses by code. */
    errorCode: ErrorCode | undefined;
  }
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, field?: string): FastifyReply {
  const statusCode = HTTP_STATUS[code];
  reply.errorCode = code;
  const body: ErrorBody = field === undefined ? { statusCode, name: code, message } : { statusCode, name: code, message, field };
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);
/**
 * A deadlock or serialization failure: the database undid this request's transaction to let a
 * concurrent one through (deleting a webhook while its delivery's outcome is written, say).
 * Nothing of the undone transaction stayed, and the request tried again normally succeeds: a 503
 * with Retry-After, not a 500.
 */
const DB_CONFLICT_CODES = new Set(['40P01', '40001']);

/** The error and its causes, as far as five deep (Drizzle wraps the driver's error). */
function* causes(error: unknown): Generator<{ code?: unknown; message?: unknown }> {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) yield e as { code?: unknown; message?: unknown };
}

/** True when the error (or a cause) is a transaction the database undid for a concurrent one. */
export function isDatabaseConflict(error: unknown): boolean {
  for (const { code } of causes(error)) if (typeof code === 'string' && DB_CONFLICT_CODES.has(code)) return true;
  return false;
}

/** True when the error (or a cause) says the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const { code, message } of causes(error)) {
    if (typeof code === 'string' && DB_DOWN_CODES.has(code)) return true;
    if (typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) return true;
  }
  return false;
}

/** Maps every error to the Resend-shaped body; nothing a client sends can produce a 500. */
export function registerErrorHandling(app: FastifyInstance, logger: Pick<FastifyBaseLogger, 'warn' | 'error'> = app.log): void {
  app.decorateReply('errorCode', undefined);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return sendError(reply, error.code, error.message, error.field);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0];
      const context = error.validationContext === 'body' ? [] : [error.validationContext ?? 'request'];
      const path = [...context, ...(first?.instancePath ?? '').split('/').filter(Boolean)];
      const unknownKeys = first?.keyword === 'unrecognized_keys' ? (first.params as { keys?: string[] }).keys : undefined;
      if (unknownKeys?.[0]) {
        const field = jsonPath([...path, unknownKeys[0]]);
        return sendError(reply, 'validation_error', `${field}: unknown field; it cannot be set here`, field);
      }
      const field = jsonPath(path) || 'body';
      return sendError(reply, 'validation_error', `${field}: ${first?.message ?? 'is invalid'}`, field);
    }
    const framework = frameworkError(error);
    if (framework) return sendError(reply, framework.code, framework.message);
    if (isDatabaseConflict(error)) {
      // Rare, and worth a look when it is not: logged as an error, answered as retryable.
      logger.error({ err: error, reqId: request.id }, 'database conflict: the transaction was undone');
      reply.header('retry-after', '1');
      return sendError(reply, 'service_unavailable', 'The request met a concurrent change and was undone; retry it');
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, reqId: request.id }, 'database unavailable');
      reply.header('retry-after', '1');
      return sendError(reply, 'service_unavailable', 'The database is unavailable; retry shortly');
    }
    logger.error({ err: error, reqId: request.id }, 'unhandled error');
    return sendError(reply, 'internal_server_error', `Internal error; reference ${request.id}`);
  });

  // Routes registered after this point (all of them, in buildApp) are indexed for the 405s.
  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.url, route.method));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routes.methodsFor(path);
    if (allowed.length === 0 || allowed.includes(request.method)) return sendError(reply, 'not_found', `No route ${request.method} ${path}`);
    reply.header('allow', allowed.join(', '));
    return sendError(reply, 'method_not_allowed', `${path} does not accept ${request.method}; it accepts ${allowed.join(', ')}`);
  });
}

/** Path segments as a JSON path, the way services name fields: `to[2]`, `headers.X-Ref`, `[1].subject`. */
function jsonPath(segments: readonly string[]): string {
  return segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
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

/**
 * The methods registered for each route pattern, so a path that exists with other methods gets a
 * 405 naming them rather than a 404. Built from onRoute (Fastify's public API) and matched here:
 * the router answers only "is there a route for this method and URL", never "for which methods".
 */
class RouteMethods {
  private readonly byPattern = new Map<string, { segments: readonly string[]; methods: Set<string> }>();

  add(url: string, method: string | readonly string[]): void {
    const key = withoutTrailingSlash(url);
    let entry = this.byPattern.get(key);
    if (!entry) this.byPattern.set(key, (entry = { segments: key.split('/'), methods: new Set() }));
    for (const m of typeof method === 'string' ? [method] : method) entry.methods.add(m);
  }

  /** Every method some route accepts at this request path, sorted; none for an unknown path. */
  methodsFor(requestPath: string): string[] {
    const segments = decodedSegments(requestPath);
    if (!segments) return [];
    const methods = new Set<string>();
    for (const entry of this.byPattern.values()) {
      if (matches(entry.segments, segments)) for (const m of entry.methods) methods.add(m);
    }
    return [...methods].sort();
  }
}

/** The router ignores one trailing slash (buildApp's ignoreTrailingSlash), so the index does too. */
function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function decodedSegments(requestPath: string): string[] | undefined {
  try {
    return withoutTrailingSlash(requestPath).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * Whether a pattern such as `/api-keys/:id` or `/assets/*` covers the path. A segment with a
 * parameter matches any non-empty segment (a parameter's regular expression, which no route of
 * ours uses, is not checked); `*` matches the rest.
 */
function matches(pattern: readonly string[], path: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    if (expected === '*' && i === pattern.length - 1) return path.length >= i;
    const actual = path[i];
    if (actual === undefined) return false;
    if (expected.includes(':') ? actual === '' : actual !== expected) return false;
  }
  return path.length === pattern.length;
}
