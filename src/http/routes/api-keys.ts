import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import {
  apiKeyObject,
  apiKeyWithToken,
  createKeyBody,
  deletedKey,
  keyIdParams,
  keyUsage,
  rotateKeyBody,
  updateKeyBody,
  usageQuery,
} from '../../modules/api-keys/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// Each route declares its auth through edge.config(scope) (plugins/auth.ts): a scope of its own
// on the public API, the session on the dashboard. The service gets the edge's Actor.
export function apiKeyRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const keys = deps.services.apiKeys;
  const read = edge.config('api_keys:read');
  const write = edge.config('api_keys:write');
  const tags = edge.tags('API keys');
  const base = `${edge.prefix}/api-keys`;

  r.post(base, {
    config: write,
    schema: { tags, summary: 'Create an API key (the token is shown once)', body: createKeyBody, response: { 201: apiKeyWithToken } },
    handler: async (req, reply) => reply.code(201).send(await keys.create(edge.actor(req), req.body)),
  });

  r.get(base, {
    config: read,
    schema: {
      tags,
      summary: 'List API keys',
      querystring: pageQuery,
      response: { 200: z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(apiKeyObject) }) },
    },
    handler: async (req) => keys.list(edge.actor(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config: read,
    schema: { tags, summary: 'Retrieve an API key', params: keyIdParams, response: { 200: apiKeyObject } },
    handler: async (req) => keys.get(edge.actor(req), req.params.id),
  });

  r.patch(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Update an API key (effective on the next request)', params: keyIdParams, body: updateKeyBody, response: { 200: apiKeyObject } },
    handler: async (req) => keys.update(edge.actor(req), req.params.id, req.body),
  });

  r.post(`${base}/:id/rotate`, {
    config: write,
    schema: { tags, summary: 'Rotate an API key (new token, old one dies after grace_seconds)', params: keyIdParams, body: rotateKeyBody, response: { 200: apiKeyWithToken } },
    handler: async (req) => keys.rotate(edge.actor(req), req.params.id, req.body?.grace_seconds ?? 0),
  });

  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Delete an API key (refused from the next request on)', params: keyIdParams, response: { 200: deletedKey } },
    handler: async (req) => keys.delete(edge.actor(req), req.params.id),
  });

  r.get(`${base}/:id/usage`, {
    config: read,
    schema: { tags, summary: 'Requests per day by route and status, and recent client IPs', params: keyIdParams, querystring: usageQuery, response: { 200: keyUsage } },
    handler: async (req) => keys.usage(edge.actor(req), req.params.id, req.query.days),
  });
}
