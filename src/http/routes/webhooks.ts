import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import {
  createdWebhook,
  createWebhookBody,
  deletedWebhook,
  replayedWebhookEvent,
  updatedWebhook,
  updateWebhookBody,
  webhookAttemptList,
  webhookEventList,
  webhookEventObject,
  webhookEventParams,
  webhookIdParams,
  webhookList,
  webhookObject,
} from '../../modules/webhooks/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// Resend's webhooks API, path for path (the `resend` SDK's webhooks and webhooks.events). Each
// route declares its auth through edge.config(scope) (plugins/auth.ts): webhooks:read or
// webhooks:write on the public API, the session on the dashboard.
export function webhookRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { webhooks, webhookEvents } = deps.services;
  const read = edge.config('webhooks:read');
  const write = edge.config('webhooks:write');
  const tags = edge.tags('Webhooks');
  const base = `${edge.prefix}/webhooks`;

  r.post(base, {
    config: write,
    schema: { tags, summary: 'Create a webhook endpoint (its signing secret is in the answer)', body: createWebhookBody, response: { 201: createdWebhook } },
    handler: async (req, reply) => reply.code(201).send(await webhooks.create(edge.actor(req), req.body)),
  });
  r.get(base, {
    config: read,
    schema: { tags, summary: 'List webhook endpoints', querystring: pageQuery, response: { 200: webhookList } },
    handler: async (req) => webhooks.list(edge.actor(req), toCursor(req.query)),
  });
  r.get(`${base}/:id`, {
    config: read,
    schema: { tags, summary: 'Retrieve a webhook endpoint and its signing secret', params: webhookIdParams, response: { 200: webhookObject } },
    handler: async (req) => webhooks.get(edge.actor(req), req.params.id),
  });
  r.patch(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Change the endpoint URL, the event types, or enable/disable it', params: webhookIdParams, body: updateWebhookBody, response: { 200: updatedWebhook } },
    handler: async (req) => webhooks.update(edge.actor(req), req.params.id, req.body),
  });
  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Delete a webhook endpoint (and its event log)', params: webhookIdParams, response: { 200: deletedWebhook } },
    handler: async (req) => webhooks.remove(edge.actor(req), req.params.id),
  });
  r.post(`${base}/:id/signing-secret/rotate`, {
    config: write,
    schema: {
      tags,
      summary: 'Rotate the signing secret (the old one keeps signing beside it for 24 hours)',
      params: webhookIdParams,
      response: { 200: createdWebhook },
    },
    handler: async (req) => webhooks.rotateSecret(edge.actor(req), req.params.id),
  });

  r.post(`${base}/:id/test`, {
    config: write,
    schema: { tags, summary: 'Send a `webhook.test` event to this endpoint only (beyond Resend)', params: webhookIdParams, response: { 200: replayedWebhookEvent } },
    handler: async (req) => webhooks.sendTest(edge.actor(req), req.params.id),
  });

  r.get(`${base}/:id/events`, {
    config: read,
    schema: { tags, summary: 'List the events sent (or being sent) to an endpoint', params: webhookIdParams, querystring: pageQuery, response: { 200: webhookEventList } },
    handler: async (req) => webhookEvents.list(edge.actor(req), req.params.id, toCursor(req.query)),
  });
  r.get(`${base}/:id/events/:eventId`, {
    config: read,
    schema: { tags, summary: 'Retrieve one event sent to an endpoint, with its payload', params: webhookEventParams, response: { 200: webhookEventObject } },
    handler: async (req) => webhookEvents.get(edge.actor(req), req.params.id, req.params.eventId),
  });
  r.post(`${base}/:id/events/:eventId/replay`, {
    config: write,
    schema: { tags, summary: 'Send an event to the endpoint again (same webhook-id)', params: webhookEventParams, response: { 200: replayedWebhookEvent } },
    handler: async (req) => webhookEvents.replay(edge.actor(req), req.params.id, req.params.eventId),
  });
  r.get(`${base}/:id/events/:eventId/attempts`, {
    config: read,
    schema: { tags, summary: "An event's delivery attempts: status code, response excerpt, duration", params: webhookEventParams, querystring: pageQuery, response: { 200: webhookAttemptList } },
    handler: async (req) => webhookEvents.attempts(edge.actor(req), req.params.id, req.params.eventId, toCursor(req.query)),
  });
}
