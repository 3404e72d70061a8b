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
  updateDomainBody,
  updatedDomain,
  verifyDomainBody,
  type CreateDomainBody,
  type DomainSettings,
  type NewDomain,
  type UpdateDomainBody,
} from '../../modules/domains/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

// Each route declares its auth through edge.config(scope) (plugins/auth.ts): a scope of its own
// on the public API, the session on the dashboard. The service gets the edge's Actor.
export function domainRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const domains = deps.services.domains;
  const read = edge.config('domains:read');
  const write = edge.config('domains:write');
  const tags = edge.tags('Domains');
  const base = `${edge.prefix}/domains`;

  r.post(base, {
    config: write,
    schema: { tags, summary: 'Add a domain (returns the DNS records to publish)', body: createDomainBody, response: { 201: domainObject } },
    handler: async (req, reply) => reply.code(201).send(await domains.create(edge.actor(req), newDomainOf(req.body))),
  });

  r.get(base, {
    config: read,
    schema: { tags, summary: 'List domains', querystring: pageQuery, response: { 200: domainList } },
    handler: async (req) => domains.list(edge.actor(req), toCursor(req.query)),
  });

  r.get(`${base}/:id`, {
    config: read,
    schema: { tags, summary: 'Retrieve a domain and its DNS records', params: domainIdParams, response: { 200: domainObject } },
    handler: async (req) => domains.get(edge.actor(req), req.params.id),
  });

  r.post(`${base}/:id/verify`, {
    config: write,
    schema: {
      tags,
      summary: 'Check the DNS records now (verified when ownership and DKIM are published)',
      params: domainIdParams,
      body: verifyDomainBody,
      response: { 200: domainObject },
    },
    handler: async (req) => domains.verify(edge.actor(req), req.params.id),
  });

  r.patch(`${base}/:id`, {
    config: write,
    schema: {
      tags,
      summary: 'Change tracking, TLS enforcement, receiving and the tracking subdomain',
      params: domainIdParams,
      body: updateDomainBody,
      response: { 200: updatedDomain },
    },
    handler: async (req) => domains.update(edge.actor(req), req.params.id, settingsOf(req.body ?? {})),
  });

  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Delete a domain', params: domainIdParams, response: { 200: deletedDomain } },
    handler: async (req) => domains.delete(edge.actor(req), req.params.id),
  });
}

/** The settings of a body, in the service's names (fields left out stay unset). */
function settingsOf(body: NonNullable<UpdateDomainBody>): DomainSettings {
  return {
    openTracking: body.open_tracking,
    clickTracking: body.click_tracking,
    tls: body.tls,
    // capabilities.sending can only say `enabled` (the schema refuses `disabled`): nothing to store.
    receiving: body.capabilities?.receiving,
    trackingSubdomain: body.tracking_subdomain,
  };
}

function newDomainOf(body: CreateDomainBody): NewDomain {
  return { ...settingsOf(body), name: body.name, region: body.region, customReturnPath: body.custom_return_path };
}
