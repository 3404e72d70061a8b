import type { Deps } from '../src/app/deps.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import { attachmentIdOf } from '../src/modules/emails/attachments.js';
import { deliveryDeps } from '../src/worker/worker.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { newId } from '../src/lib/ids.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { domainFor, keyFor, webhookEventFor, webhookFor } from './factories.js';
import type { MatrixRoute } from './auth-matrix.js';

const makeDomain = async (deps: Deps, org: OrganizationObject): Promise<string> => domainFor(deps, org, `d${Math.random().toString(36).slice(2, 8)}.example`);
const makeKey = async (deps: Deps, org: OrganizationObject): Promise<string> => (await keyFor(deps, org, { name: 'target' })).id;
/** A suppression of the organization's default project (where the matrix's keys live). */
const makeSuppression = async (deps: Deps, org: OrganizationObject): Promise<string> =>
  (await deps.services.suppressions.add(operator(org.id, org.default_project_id), { email: `m${Math.random().toString(36).slice(2, 8)}@example.com` })).suppression.id;

const makeWebhook = webhookFor;
const makeWebhookEvent = webhookEventFor;

/** A draft template of the organization's default project. */
const makeTemplate = async (deps: Deps, org: OrganizationObject): Promise<string> =>
  (await deps.services.templates.create(operator(org.id, org.default_project_id), { name: 'matrix', html: '<p>{{{NAME}}}</p>', variables: [{ key: 'NAME', type: 'string', fallback_value: 'x' }] })).id;

/** A verified sending domain of the organization; its name goes in the body's `from`. */
const makeSendingDomain = async (deps: Deps, org: OrganizationObject): Promise<string> => {
  const name = `s${Math.random().toString(36).slice(2, 8)}.example`;
  await domainFor(deps, org, name);
  return name;
};
/** A live email of the organization (the matrix's keys are live: they see live emails only), captured when `capture` is set. */
const makeEmail = (capture: boolean) => async (deps: Deps, org: OrganizationObject): Promise<string> => {
  const { id } = await deps.services.emails.send(senderFor(org), emailBody(`matrix@${await makeSendingDomain(deps, org)}`));
  if (capture) await deliverEmail(deliveryDeps(deps), id);
  return id;
};
const sendBody = (domain: string): Record<string, unknown> => emailBody(`matrix@${domain}`);
/** A live email of the organization scheduled an hour ahead: still reschedulable and cancelable. */
const makeScheduledEmail = async (deps: Deps, org: OrganizationObject): Promise<string> =>
  (await deps.services.emails.send(senderFor(org), emailBody(`matrix@${await makeSendingDomain(deps, org)}`, { scheduled_at: new Date(Date.now() + 3_600_000).toISOString() }))).id;
/** A live email with one attachment, as `emailId|attachmentId`. */
const makeAttachment = async (deps: Deps, org: OrganizationObject): Promise<string> => {
  const body = emailBody(`matrix@${await makeSendingDomain(deps, org)}`, { attachments: [{ filename: 'matrix.txt', content: Buffer.from('matrix').toString('base64') }] });
  const { id } = await deps.services.emails.send(senderFor(org), body);
  return `${id}|${attachmentIdOf(id, 0)}`;
};

/** A request log row of the organization's default project (where the matrix's keys live), written now. */
const makeLog = async (deps: Deps, org: OrganizationObject): Promise<string> => {
  const entry = { organizationId: org.id, projectId: org.default_project_id, keyId: newId('apiKey'), method: 'GET', endpoint: '/whoami', status: 200, durationMs: 1, ip: '127.0.0.1', userAgent: 'matrix' };
  const id = deps.requestLog.record(entry);
  await deps.requestLog.flush();
  return id;
};

/** Every authenticated route of the API. The catalogue test fails when a route is missing here. */
export const MATRIX_ROUTES: MatrixRoute[] = [
  { method: 'GET', url: '/whoami', auth: 'any_key' },
  { method: 'POST', url: '/api-keys', auth: { scope: 'api_keys:write' }, body: { name: 'matrix' } },
  { method: 'GET', url: '/api-keys', auth: { scope: 'api_keys:read' } },
  { method: 'GET', url: '/api-keys/:id', auth: { scope: 'api_keys:read' }, makeResource: makeKey },
  { method: 'PATCH', url: '/api-keys/:id', auth: { scope: 'api_keys:write' }, body: { name: 'renamed' }, makeResource: makeKey },
  { method: 'POST', url: '/api-keys/:id/rotate', auth: { scope: 'api_keys:write' }, body: { grace_seconds: 0 }, makeResource: makeKey },
  { method: 'DELETE', url: '/api-keys/:id', auth: { scope: 'api_keys:write' }, makeResource: makeKey },
  { method: 'GET', url: '/api-keys/:id/usage', auth: { scope: 'api_keys:read' }, makeResource: makeKey },
  { method: 'POST', url: '/domains', auth: { scope: 'domains:write' }, body: { name: 'matrix.example' } },
  { method: 'GET', url: '/domains', auth: { scope: 'domains:read' } },
  { method: 'GET', url: '/domains/:id', auth: { scope: 'domains:read' }, makeResource: makeDomain },
  { method: 'POST', url: '/domains/:id/verify', auth: { scope: 'domains:write' }, makeResource: makeDomain },
  { method: 'PATCH', url: '/domains/:id', auth: { scope: 'domains:write' }, body: { open_tracking: true }, makeResource: makeDomain },
  { method: 'DELETE', url: '/domains/:id', auth: { scope: 'domains:write' }, makeResource: makeDomain },
  { method: 'POST', url: '/emails', auth: { scope: 'emails:send' }, makeResource: makeSendingDomain, body: sendBody },
  { method: 'POST', url: '/emails/batch', auth: { scope: 'emails:send' }, makeResource: makeSendingDomain, body: (domain: string) => [sendBody(domain), sendBody(domain)] },
  { method: 'GET', url: '/emails', auth: { scope: 'emails:read' } },
  { method: 'GET', url: '/emails/:id', auth: { scope: 'emails:read' }, makeResource: makeEmail(false) },
  { method: 'GET', url: '/emails/:id/raw', auth: { scope: 'emails:read' }, makeResource: makeEmail(true) },
  { method: 'PATCH', url: '/emails/:id', auth: { scope: 'emails:send' }, makeResource: makeScheduledEmail, body: { scheduled_at: 'in 2 hours' } },
  { method: 'POST', url: '/emails/:id/cancel', auth: { scope: 'emails:send' }, makeResource: makeScheduledEmail },
  { method: 'GET', url: '/emails/:id/attachments', auth: { scope: 'emails:read' }, makeResource: makeAttachment },
  { method: 'GET', url: '/emails/:id/attachments/:attachment_id', auth: { scope: 'emails:read' }, makeResource: makeAttachment },
  { method: 'GET', url: '/audit-logs', auth: { scope: 'audit:read' } },
  { method: 'GET', url: '/projects', auth: { scope: 'projects:read' } },
  { method: 'GET', url: '/logs', auth: { scope: 'audit:read' } },
  { method: 'GET', url: '/logs/:id', auth: { scope: 'audit:read' }, makeResource: makeLog },
  { method: 'GET', url: '/emails/metrics', auth: { scope: 'analytics:read' } },
  { method: 'GET', url: '/usage', auth: { scope: 'analytics:read' } },
  { method: 'GET', url: '/organization', auth: { scope: 'organization:read' } },
  { method: 'POST', url: '/webhooks', auth: { scope: 'webhooks:write' }, body: { endpoint: 'https://hooks.example.com/new', events: ['email.sent'] } },
  { method: 'GET', url: '/webhooks', auth: { scope: 'webhooks:read' } },
  { method: 'GET', url: '/webhooks/:id', auth: { scope: 'webhooks:read' }, makeResource: makeWebhook },
  { method: 'PATCH', url: '/webhooks/:id', auth: { scope: 'webhooks:write' }, makeResource: makeWebhook, body: { status: 'disabled' } },
  { method: 'DELETE', url: '/webhooks/:id', auth: { scope: 'webhooks:write' }, makeResource: makeWebhook },
  { method: 'POST', url: '/webhooks/:id/signing-secret/rotate', auth: { scope: 'webhooks:write' }, makeResource: makeWebhook },
  { method: 'POST', url: '/webhooks/:id/test', auth: { scope: 'webhooks:write' }, makeResource: makeWebhook },
  { method: 'GET', url: '/webhooks/:id/events', auth: { scope: 'webhooks:read' }, makeResource: makeWebhook },
  { method: 'GET', url: '/webhooks/:id/events/:eventId', auth: { scope: 'webhooks:read' }, makeResource: makeWebhookEvent },
  { method: 'POST', url: '/webhooks/:id/events/:eventId/replay', auth: { scope: 'webhooks:write' }, makeResource: makeWebhookEvent },
  { method: 'GET', url: '/webhooks/:id/events/:eventId/attempts', auth: { scope: 'webhooks:read' }, makeResource: makeWebhookEvent },
  { method: 'POST', url: '/templates', auth: { scope: 'templates:write' }, body: { name: 'matrix', html: '<p>matrix</p>' } },
  { method: 'GET', url: '/templates', auth: { scope: 'templates:read' } },
  { method: 'GET', url: '/templates/:id', auth: { scope: 'templates:read' }, makeResource: makeTemplate },
  { method: 'PATCH', url: '/templates/:id', auth: { scope: 'templates:write' }, makeResource: makeTemplate, body: { name: 'renamed' } },
  { method: 'DELETE', url: '/templates/:id', auth: { scope: 'templates:write' }, makeResource: makeTemplate },
  { method: 'POST', url: '/templates/:id/publish', auth: { scope: 'templates:write' }, makeResource: makeTemplate },
  { method: 'POST', url: '/templates/:id/duplicate', auth: { scope: 'templates:write' }, makeResource: makeTemplate },
  { method: 'POST', url: '/templates/:id/render', auth: { scope: 'templates:read' }, makeResource: makeTemplate, body: { variables: { NAME: 'matrix' } } },
  { method: 'POST', url: '/suppressions', auth: { scope: 'audience:write' }, body: { email: 'matrix@example.com' } },
  { method: 'GET', url: '/suppressions', auth: { scope: 'audience:read' } },
  { method: 'GET', url: '/suppressions/:id', auth: { scope: 'audience:read' }, makeResource: makeSuppression },
  { method: 'DELETE', url: '/suppressions/:id', auth: { scope: 'audience:write' }, makeResource: makeSuppression },
  { method: 'POST', url: '/suppressions/batch/add', auth: { scope: 'audience:write' }, body: { emails: ['matrix1@example.com', 'matrix2@example.com'] } },
  { method: 'POST', url: '/suppressions/batch/remove', auth: { scope: 'audience:write' }, body: { emails: ['matrix1@example.com'] } },
];
