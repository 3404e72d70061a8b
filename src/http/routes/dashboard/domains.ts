import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../../app/deps.js';
import { pageQuery, toCursor } from '../../../lib/pagination.js';
import {
  createDomainBody,
  deletedDomain,
  domainIdParams,
  domainList,
  domainObject,
  verifyDomainBody,
} from '../../../modules/domains/schemas.js';
import { createDomain, deleteDomain, getDomain, listDomains, verifyDomain } from '../../../modules/domains/service.js';
import { actorOf } from '../../plugins/session.js';
import { domainDeps } from '../domains.js';

const config = { auth: 'session' } as const;
const tags = ['Dashboard'];

/** The domain routes of the public API, for the signed-in user's organization: same services. */
export function dashboardDomainRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const svc = domainDeps(deps);
  const base = '/dashboard/api/domains';

  r.post(base, {
    config,
    schema: { tags, summary: 'Add a domain', body: createDomainBody, response: { 201: domainObject } },
    handler: async (req, reply) => reply.code(201).send(await createDomain(svc, actorOf(req), { name: req.body.name })),
  });

  r.get(base, {
    config,
    schema: { tags, summary: 'List domains', querystring: pageQuery, response: { 200: domainList } },
    handler: async (req) => listDomains(svc, actorOf(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Retrieve a domain and its DNS records', params: domainIdParams, response: { 200: domainObject } },
    handler: async (req) => getDomain(svc, actorOf(req), req.params.id),
  });

  r.post(`${base}/:id/verify`, {
    config,
    schema: { tags, summary: 'Check the DNS records now', params: domainIdParams, body: verifyDomainBody, response: { 200: domainObject } },
    handler: async (req) => verifyDomain(svc, actorOf(req), req.params.id),
  });

  r.delete(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Delete a domain', params: domainIdParams, response: { 200: deletedDomain } },
    handler: async (req) => deleteDomain(svc, actorOf(req), req.params.id),
  });
}
