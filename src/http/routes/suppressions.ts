import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { toCursor } from '../../lib/pagination.js';
import {
  addedSuppression,
  addSuppressionBody,
  batchAddBody,
  batchAdded,
  batchRemoveBody,
  batchRemoved,
  listSuppressionsQuery,
  MAX_SUPPRESSION_BATCH,
  removedSuppression,
  suppressionList,
  suppressionObject,
  suppressionParams,
} from '../../modules/suppressions/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// Resend's suppression routes (the `resend` SDK's suppressions.*), per project: what a key or the
// dashboard's project switcher names. Each route declares its auth through edge.config(scope)
// (plugins/auth.ts): audience:read or audience:write on the public API, the session on the dashboard.
export function suppressionRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.services.suppressions;
  const read = edge.config('audience:read');
  const write = edge.config('audience:write');
  const tags = edge.tags('Suppressions');
  const base = `${edge.prefix}/suppressions`;

  r.post(base, {
    config: write,
    schema: {
      tags,
      summary: 'Suppress an address: nothing is sent to it again (201; 200 with the existing one when already suppressed)',
      body: addSuppressionBody,
      response: { 200: addedSuppression, 201: addedSuppression },
    },
    handler: async (req, reply) => {
      const { suppression, created } = await service.add(edge.actor(req), req.body);
      return reply.code(created ? 201 : 200).send({ object: 'suppression', id: suppression.id });
    },
  });

  r.get(base, {
    config: read,
    schema: { tags, summary: 'List suppressed addresses, newest first (filter by origin: bounce, complaint, manual)', querystring: listSuppressionsQuery, response: { 200: suppressionList } },
    handler: async (req) => service.list(edge.actor(req), toCursor(req.query), { origin: req.query.origin }),
  });

  r.get(`${base}/:id`, {
    config: read,
    schema: { tags, summary: 'Retrieve a suppression by id or by email address', params: suppressionParams, response: { 200: suppressionObject } },
    handler: async (req) => service.get(edge.actor(req), req.params.id),
  });

  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Remove a suppression by id or by email address: the address may be sent to again', params: suppressionParams, response: { 200: removedSuppression } },
    handler: async (req) => service.remove(edge.actor(req), req.params.id),
  });

  r.post(`${base}/batch/add`, {
    config: write,
    schema: {
      tags,
      summary: `Suppress up to ${MAX_SUPPRESSION_BATCH} addresses at once: all or none; one line per address, in order (existing ones keep their id)`,
      body: batchAddBody,
      response: { 200: batchAdded },
    },
    handler: async (req) => service.addMany(edge.actor(req), req.body),
  });

  r.post(`${base}/batch/remove`, {
    config: write,
    schema: {
      tags,
      summary: `Remove up to ${MAX_SUPPRESSION_BATCH} suppressions by emails or by ids (not both); one line per identifier, deleted: false for one that named none`,
      body: batchRemoveBody,
      response: { 200: batchRemoved },
    },
    handler: async (req) => service.removeMany(edge.actor(req), req.body),
  });
}
