import type { Deps } from '../src/app/deps.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';
import { deliveryDeps } from '../src/worker/worker.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { domainFor, keyFor, webhookEventFor, webhookFor } from './factories.js';
import { makeInvitation, makeMember, makeSession } from './team-fixtures.js';

/** One dashboard route as the session matrix exercises it. */
export type SessionRoute = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The route pattern as registered; `:id` is filled with an object of the caller's organization. */
  url: string;
  body?: unknown;
  /** Creates an object of `org` for `:id` routes and returns its id. */
  makeResource?: (deps: Deps, org: OrganizationObject) => Promise<string>;
  /** The status a signed-in owner gets when it is not a success (a check after authorization refuses the static body). */
  signedInStatus?: number;
};

const makeDomain = async (deps: Deps, org: OrganizationObject): Promise<string> => domainFor(deps, org, `d${Math.random().toString(36).slice(2, 8)}.example`);
const makeProject = async (deps: Deps, org: OrganizationObject): Promise<string> => (await deps.services.projects.create(operator(org.id, org.default_project_id), 'target')).id;
const makeKey = async (deps: Deps, org: OrganizationObject): Promise<string> => (await keyFor(deps, org, { name: 'target' })).id;
/** A suppression of the organization's default project (the one a new session shows). */
const makeWebhook = webhookFor;
const makeWebhookEvent = webhookEventFor;
/** A draft template of the organization's default project. */
const makeTemplate = async (deps: Deps, org: OrganizationObject): Promise<string> =>
  (await deps.services.templates.create(operator(org.id, org.default_project_id), { name: 'matrix', html: '<p>{{{NAME}}}</p>', variables: [{ key: 'NAME', type: 'string', fallback_value: 'x' }] })).id;
const makeSuppression = async (deps: Deps, org: OrganizationObject): Promise<string> =>
  (await deps.services.suppressions.add(operator(org.id, org.default_project_id), { email: `m${Math.random().toString(36).slice(2, 8)}@example.com` })).suppression.id;
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
  { method: 'GET', url: '/dashboard/api/audit-logs' },
  { method: 'GET', url: '/dashboard/api/projects' },
  { method: 'POST', url: '/dashboard/api/projects', body: { name: 'matrix' } },
  { method: 'PATCH', url: '/dashboard/api/projects/:id', body: { name: 'renamed' }, makeResource: makeProject },
  { method: 'DELETE', url: '/dashboard/api/projects/:id', makeResource: makeProject },
  { method: 'GET', url: '/dashboard/api/api-keys/:id/usage', makeResource: makeKey },
  { method: 'POST', url: '/dashboard/api/domains', body: { name: 'matrix.example' } },
  { method: 'GET', url: '/dashboard/api/domains' },
  { method: 'GET', url: '/dashboard/api/domains/:id', makeResource: makeDomain },
  { method: 'POST', url: '/dashboard/api/domains/:id/verify', makeResource: makeDomain },
  { method: 'PATCH', url: '/dashboard/api/domains/:id', body: { click_tracking: true }, makeResource: makeDomain },
  { method: 'DELETE', url: '/dashboard/api/domains/:id', makeResource: makeDomain },
  { method: 'GET', url: '/dashboard/api/emails' },
  { method: 'GET', url: '/dashboard/api/emails/:id', makeResource: makeEmail(false) },
  { method: 'GET', url: '/dashboard/api/emails/:id/raw', makeResource: makeEmail(true) },
  { method: 'GET', url: '/dashboard/api/emails/metrics' },
  { method: 'GET', url: '/dashboard/api/usage' },
  { method: 'GET', url: '/dashboard/api/organization' },
  { method: 'POST', url: '/dashboard/api/webhooks', body: { endpoint: 'https://hooks.example.com/new', events: ['email.sent'] } },
  { method: 'GET', url: '/dashboard/api/webhooks' },
  { method: 'GET', url: '/dashboard/api/webhooks/:id', makeResource: makeWebhook },
  { method: 'PATCH', url: '/dashboard/api/webhooks/:id', makeResource: makeWebhook, body: { status: 'disabled' } },
  { method: 'DELETE', url: '/dashboard/api/webhooks/:id', makeResource: makeWebhook },
  { method: 'POST', url: '/dashboard/api/webhooks/:id/signing-secret/rotate', makeResource: makeWebhook },
  { method: 'POST', url: '/dashboard/api/webhooks/:id/test', makeResource: makeWebhook },
  { method: 'GET', url: '/dashboard/api/webhooks/:id/events', makeResource: makeWebhook },
  { method: 'GET', url: '/dashboard/api/webhooks/:id/events/:eventId', makeResource: makeWebhookEvent },
  { method: 'POST', url: '/dashboard/api/webhooks/:id/events/:eventId/replay', makeResource: makeWebhookEvent },
  { method: 'GET', url: '/dashboard/api/webhooks/:id/events/:eventId/attempts', makeResource: makeWebhookEvent },
  { method: 'POST', url: '/dashboard/api/templates', body: { name: 'matrix', html: '<p>matrix</p>' } },
  { method: 'GET', url: '/dashboard/api/templates' },
  { method: 'GET', url: '/dashboard/api/templates/:id', makeResource: makeTemplate },
  { method: 'PATCH', url: '/dashboard/api/templates/:id', makeResource: makeTemplate, body: { name: 'renamed' } },
  { method: 'DELETE', url: '/dashboard/api/templates/:id', makeResource: makeTemplate },
  { method: 'POST', url: '/dashboard/api/templates/:id/publish', makeResource: makeTemplate },
  { method: 'POST', url: '/dashboard/api/templates/:id/duplicate', makeResource: makeTemplate },
  { method: 'POST', url: '/dashboard/api/templates/:id/render', makeResource: makeTemplate, body: { variables: { NAME: 'matrix' } } },
  { method: 'POST', url: '/dashboard/api/suppressions', body: { email: 'matrix@example.com' } },
  { method: 'GET', url: '/dashboard/api/suppressions' },
  { method: 'GET', url: '/dashboard/api/suppressions/:id', makeResource: makeSuppression },
  { method: 'DELETE', url: '/dashboard/api/suppressions/:id', makeResource: makeSuppression },
  { method: 'POST', url: '/dashboard/api/suppressions/batch/add', body: { emails: ['matrix1@example.com', 'matrix2@example.com'] } },
  { method: 'POST', url: '/dashboard/api/suppressions/batch/remove', body: { emails: ['matrix1@example.com'] } },
  // Team and account (routes/dashboard/team.ts, account.ts).
  { method: 'GET', url: '/dashboard/api/members' },
  { method: 'PATCH', url: '/dashboard/api/members/:id', body: { role: 'viewer' }, makeResource: makeMember },
  { method: 'DELETE', url: '/dashboard/api/members/:id', makeResource: makeMember },
  { method: 'GET', url: '/dashboard/api/invitations' },
  { method: 'POST', url: '/dashboard/api/invitations', body: { email: 'invitee@example.com', role: 'viewer' } },
  { method: 'DELETE', url: '/dashboard/api/invitations/:id', makeResource: makeInvitation },
  { method: 'GET', url: '/dashboard/api/sessions' },
  { method: 'DELETE', url: '/dashboard/api/sessions/:id', makeResource: makeSession },
  { method: 'POST', url: '/dashboard/api/sessions/revoke-others' },
  { method: 'GET', url: '/dashboard/api/two-factor' },
  // Confirm and disable need a set-up waiting / two-factor on: without one, 409 shows they were let through.
  // Another organization's (or no) project: not found, like any id.
  { method: 'POST', url: '/dashboard/api/session/project', body: { project_id: 'proj_elsewhere' }, signedInStatus: 404 },
  { method: 'POST', url: '/dashboard/api/two-factor/confirm', body: { code: '000000' }, signedInStatus: 409 },
  { method: 'POST', url: '/dashboard/api/two-factor/disable', body: { code: '000000' }, signedInStatus: 409 },
  { method: 'POST', url: '/dashboard/api/two-factor/enroll' },
];
