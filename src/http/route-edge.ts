import type { FastifyRequest } from 'fastify';
import { withRequest, type Actor } from '../modules/api-keys/principal.js';
import type { Scope } from '../modules/api-keys/scopes.js';
import { principalOf, type RouteAuth } from './plugins/auth.js';
import { requestContextOf } from './request-context.js';

/**
 * Where a set of resource routes is served. The same route code serves the public API (API keys,
 * each route needing its scope) and the dashboard (a session, under /dashboard/api): only the
 * prefix, the auth declaration and where the Actor comes from differ.
 */
export type RouteEdge = Readonly<{
  prefix: string;
  config(scope: Scope): { auth: RouteAuth };
  actor(request: FastifyRequest): Actor;
  tags(resource: string): string[];
}>;

export const PUBLIC_API: RouteEdge = Object.freeze({
  prefix: '',
  config: (scope: Scope) => ({ auth: { scope } }),
  actor: (request) => withRequest(principalOf(request), requestContextOf(request)),
  tags: (resource: string) => [resource],
});
