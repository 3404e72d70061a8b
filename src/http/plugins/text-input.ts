import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { validationError } from '../../lib/errors.js';
import { badTextPath } from '../../lib/storable-text.js';

// Text PostgreSQL cannot store (lib/storable-text.ts), refused for every route that takes input:
// a NUL reached the database as a 500, logged with the statement's parameters. A 422 names the
// field, before any route or service sees the value.

export function registerTextInputCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!takesInput(route)) return;
    const own = route.preValidation;
    route.preValidation = own === undefined ? [refuseBadText] : [...(Array.isArray(own) ? own : [own]), refuseBadText];
  });
}

function refuseBadText(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const field =
    badTextPath(request.params, 'params') ?? badTextPath(request.query, 'querystring') ?? badTextPath(request.body, '');
  done(field === undefined ? undefined : validationError(field, 'must not contain NUL (U+0000) or unpaired surrogates'));
}

/**
 * Whether a route reads anything from the request: path parameters, a declared query string, or a
 * body. A route taking none (GET /whoami) is not checked: what it would find is never read.
 */
function takesInput(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const readsBody = methods.some((method) => method !== 'GET' && method !== 'HEAD');
  return readsBody || /[:*]/.test(route.url) || route.schema?.querystring !== undefined;
}
