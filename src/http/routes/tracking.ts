import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Deps } from '../../app/deps.js';
import type { TrackingService } from '../../modules/tracking/service.js';
import { requestContextOf } from '../request-context.js';
import { sendError } from '../plugins/errors.js';

// The URLs recipients' mail clients reach (docs/tracking.md): public, no key. The token is the
// credential: signed by Postgate, it names the email and, for a link, where to go.
//   GET /t/o/<token>  the open pixel: always the GIF, whatever the token (a pixel never tells
//                     whether a token is valid); a valid one records an open.
//   GET /t/c/<token>  a click: valid -> recorded, 302 to the original URL; anything else -> 400,
//                     never a redirect (no open redirect on the operator's domain).
// Wildcard routes rather than `:token`: the router caps a parameter at 100 characters, and a
// click token carries its URL. Hidden from the API reference (like the dashboard's pages): they
// are for mail clients, not API clients. HEAD (link checkers, scanners) records nothing.

/** A 1x1 transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

type TokenParams = { Params: { '*': string } };

export function trackingRoutes(app: FastifyInstance, deps: Deps): void {
  const tracking = deps.services.tracking;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get<TokenParams>('/t/o/*', route, async (request, reply) => {
    if (request.method !== 'HEAD') {
      // Whatever happens, the recipient's client gets its image: a failure here is only a lost count.
      await tracking.recordOpen(request.params['*'], requestContextOf(request)).catch((error: unknown) => deps.logger.warn({ err: error, reqId: request.id }, 'tracking: open not recorded'));
    }
    return noStore(reply).type('image/gif').send(PIXEL);
  });

  app.get<TokenParams>('/t/c/*', route, async (request, reply) => {
    const token = request.params['*'];
    const url =
      request.method === 'HEAD'
        ? clickTarget(tracking, token)
        : await tracking.recordClick(token, requestContextOf(request));
    if (url === undefined) return sendError(reply, 'bad_request', 'This tracking link is not valid: it was altered, or its email no longer exists');
    // The destination learns nothing of the token (it would let it count clicks of its own).
    return noStore(reply).header('referrer-policy', 'no-referrer').redirect(url, 302);
  });
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

function clickTarget(tracking: TrackingService, token: string): string | undefined {
  const click = tracking.verifyToken('click', token);
  return click?.kind === 'click' ? new URL(click.url).href : undefined;
}

