import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/deps.js';

// The HTTP edge of the request log: what an authenticated request was, taken when its response
// closes (plugins/auth.ts), handed to the recorder in memory (modules/request-log/recorder.ts).

/** Long enough for any real client's User-Agent; a header of kilobytes is not kept whole per request. */
const MAX_USER_AGENT = 256;
/** The path only: a longer one (up to Node's header limit) is cut, not stored whole for every request. */
const MAX_ENDPOINT = 2_048;
/** The status of a request whose client went away before a response was sent (nginx's 499). */
const CLIENT_CLOSED_REQUEST = 499;

/** The status the client got, or 499 when it left before a response was sent. */
export function sentStatus(reply: FastifyReply): number {
  return reply.raw.headersSent ? reply.statusCode : CLIENT_CLOSED_REQUEST;
}

export function logRequest(deps: Deps, request: FastifyRequest, reply: FastifyReply): void {
  const principal = request.principal;
  if (!principal) return;
  const url = request.url;
  const query = url.indexOf('?');
  const userAgent = request.headers['user-agent'];
  deps.requestLog.record({
    organizationId: principal.organizationId,
    projectId: principal.projectId,
    keyId: principal.keyId,
    method: request.method,
    // Never the query string: request bodies and parameters are not the log's to keep.
    endpoint: (query === -1 ? url : url.slice(0, query)).slice(0, MAX_ENDPOINT),
    status: sentStatus(reply),
    durationMs: Math.round(reply.elapsedTime),
    ip: request.client.text,
    // NUL cannot be stored in a text column; Node refuses it in headers, this keeps it certain.
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT).replaceAll('\u0000', '') : null,
  });
}
