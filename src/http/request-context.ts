import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../modules/audit/record.js';

/** Long enough for any real browser or SDK; a longer header is cut, not stored whole. */
const USER_AGENT_MAX = 512;

/** Where a request came from, as the audit and request logs record it. */
export function requestContextOf(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'];
  return {
    ip: request.client?.text ?? null,
    userAgent: typeof agent === 'string' && agent !== '' ? agent.slice(0, USER_AGENT_MAX) : null,
    requestId: request.id,
  };
}
