import type { Deps } from '../src/app/deps.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';
import { deliveryDeps } from '../src/worker/worker.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { domainFor, keyFor } from './factories.js';

/** One dashboard route as the session matrix exercises it. */
export type SessionRoute = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The route pattern as registered; `:id` is filled with an object of the caller's organization. */
  url: string;
  body?: unknown;
  /** Creates an object of `org` for `:id` routes and returns its id. */
  makeResource?: (deps: Deps, org: OrganizationObject) => Promise<string>;
};

const makeDomain = async (deps: Deps, org: OrganizationObject): Promise<string> => domainFor(deps, org, `d${Math.random().toString(36).slice(2, 8)}.example`);
const makeKey = async (deps: Deps, org: OrganizationObject): Promise<string> => (await keyFor(deps, org, { name: 'target' })).id;
/** A test-mode email of the organization, captured (so it has a raw message) when `capture` is set. */
const makeEmail = (capture: boolean) => async (deps: Deps, org: OrganizationObject): Promise<string> => {
  const { id } = await deps.services.emails.send(senderFor(org, { mode: 'test' }), emailBody('matrix@matrix.example'));
  if (capture) await deliverEmail(deliveryDeps(deps), id);
  return id;
};

/**
 * Every dashboard route declared `auth: 'session'`. The route catalogue test
 * (auth-matrix.test.ts) fails when a session route is missing here, as it does for API routes
 * missing from routes.ts; dashboard-api.test.ts runs the session matrix over this list.
 */
export const SESSION_ROUTES: SessionRoute[] = [
  { method: 'GET', url: '/dashboard/api/me' },
  { method: 'POST', url: '/dashboard/api/logout' },
  { method: 'POST', url: '/dashboard/api/api-keys', body: { name: 'matrix' } },
  { method: 'GET', url: '/dashboard/api/api-keys' },
  { method: 'GET', url: '/dashboard/api/api-keys/:id', makeResource: makeKey },
  { method: 'PATCH', url: '/dashboard/api/api-keys/:id', body: { name: 'renamed' }, makeResource: makeKey },
  { method: 'POST', url: '/dashboard/api/api-keys/:id/rotate', body: { grace_seconds: 0 }, makeResource: makeKey },
  { method: 'DELETE', url: '/dashboard/api/api-keys/:id', makeResource: makeKey },
  { method: 'GET', url: '/dashboard/api/api-keys/:id/usage', makeResource: makeKey },
  { method: 'POST', url: '/dashboard/api/domains', body: { name: 'matrix.example' } },
  { method: 'GET', url: '/dashboard/api/domains' },
  { method: 'GET', url: '/dashboard/api/domains/:id', makeResource: makeDomain },
  { method: 'POST', url: '/dashboard/api/domains/:id/verify', makeResource: makeDomain },
  { method: 'DELETE', url: '/dashboard/api/domains/:id', makeResource: makeDomain },
  { method: 'GET', url: '/dashboard/api/emails' },
  { method: 'GET', url: '/dashboard/api/emails/:id', makeResource: makeEmail(false) },
  { method: 'GET', url: '/dashboard/api/emails/:id/raw', makeResource: makeEmail(true) },
];
