import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../../app/deps.js';
import { pageQuery, toCursor } from '../../../lib/pagination.js';
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
} from '../../../modules/api-keys/schemas.js';
import {
  createApiKey,
  deleteApiKey,
  getApiKey,
  getApiKeyUsage,
  listApiKeys,
  rotateApiKey,
  updateApiKey,
} from '../../../modules/api-keys/service.js';
import { actorOf } from '../../plugins/session.js';
import { apiKeyDeps } from '../api-keys.js';

const config = { auth: 'session' } as const;
const tags = ['Dashboard'];

/** The API key routes of the public API, for the signed-in user's organization: same services. */
export function dashboardApiKeyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const svc = apiKeyDeps(deps);
  const base = '/dashboard/api/api-keys';

  r.post(base, {
    config,
    schema: { tags, summary: 'Create an API key (the token is shown once)', body: createKeyBody, response: { 201: apiKeyWithToken } },
    handler: async (req, reply) => reply.code(201).send(await createApiKey(svc, actorOf(req), req.body)),
  });

  r.get(base, {
    config,
    schema: {
      tags,
      summary: 'List API keys',
      querystring: pageQuery,
      response: { 200: z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(apiKeyObject) }) },
    },
    handler: async (req) => listApiKeys(svc, actorOf(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Retrieve an API key', params: keyIdParams, response: { 200: apiKeyObject } },
    handler: async (req) => getApiKey(svc, actorOf(req), req.params.id),
  });

  r.patch(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Update an API key', params: keyIdParams, body: updateKeyBody, response: { 200: apiKeyObject } },
    handler: async (req) => updateApiKey(svc, actorOf(req), req.params.id, req.body),
  });

  r.post(`${base}/:id/rotate`, {
    config,
    schema: { tags, summary: 'Rotate an API key', params: keyIdParams, body: rotateKeyBody, response: { 200: apiKeyWithToken } },
    handler: async (req) => rotateApiKey(svc, actorOf(req), req.params.id, req.body?.grace_seconds ?? 0),
  });

  r.delete(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Delete an API key', params: keyIdParams, response: { 200: deletedKey } },
    handler: async (req) => deleteApiKey(svc, actorOf(req), req.params.id),
  });

  r.get(`${base}/:id/usage`, {
    config,
    schema: { tags, summary: 'Requests per day of an API key', params: keyIdParams, querystring: usageQuery, response: { 200: keyUsage } },
    handler: async (req) => getApiKeyUsage(svc, actorOf(req), req.params.id, req.query.days),
  });
}
