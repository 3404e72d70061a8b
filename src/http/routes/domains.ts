import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import {
  createDomainBody,
  deletedDomain,
  domainIdParams,
  domainList,
  domainObject,
  verifyDomainBody,
} from '../../modules/domains/schemas.js';
import {
  createDomain,
  deleteDomain,
  getDomain,
  listDomains,
  verifyDomain,
  type DomainDeps,
} from '../../modules/domains/service.js';
import { principalOf } from '../plugins/auth.js';

const read = { auth: { scope: 'domains:read' } } as const;
const write = { auth: { scope: 'domains:write' } } as const;
const tags = ['Domains'];

export function domainDeps(deps: Deps): DomainDeps {
  return { db: deps.database.db, clock: deps.clock, dnsServers: deps.config.dnsServers };
}

export function domainRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const svc = domainDeps(deps);

  r.post('/domains', {
    config: write,
    schema: { tags, summary: 'Add a domain (returns the DNS records to publish)', body: createDomainBody, response: { 201: domainObject } },
    // region and custom_return_path are accepted for the Resend SDK and ignored.
    handler: async (req, reply) => reply.code(201).send(await createDomain(svc, principalOf(req), { name: req.body.name })),
  });

  r.get('/domains', {
    config: read,
    schema: { tags, summary: 'List domains', querystring: pageQuery, response: { 200: domainList } },
    handler: async (req) => listDomains(svc, principalOf(req), toCursor(req.query)),
  });

  r.get('/domains/:id', {
    config: read,
    schema: { tags, summary: 'Retrieve a domain and its DNS records', params: domainIdParams, response: { 200: domainObject } },
    handler: async (req) => getDomain(svc, principalOf(req), req.params.id),
  });

  r.post('/domains/:id/verify', {
    config: write,
    schema: {
      tags,
      summary: 'Check the DNS records now (verified when ownership and DKIM are published)',
      params: domainIdParams,
      body: verifyDomainBody,
      response: { 200: domainObject },
    },
    handler: async (req) => verifyDomain(svc, principalOf(req), req.params.id),
  });

  r.delete('/domains/:id', {
    config: write,
    schema: { tags, summary: 'Delete a domain', params: domainIdParams, response: { 200: deletedDomain } },
    handler: async (req) => deleteDomain(svc, principalOf(req), req.params.id),
  });
}
