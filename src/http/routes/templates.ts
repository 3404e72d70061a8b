import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import {
  createTemplateBody,
  deletedTemplate,
  emptyBody,
  renderedTemplate,
  renderTemplateBody,
  templateIdParams,
  templateList,
  templateObject,
  templateRef,
  updateTemplateBody,
} from '../../modules/templates/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

/** html and text may each be 512 KB; as JSON, escaped, both together pass the default 1 MB. */
const CONTENT_BODY_LIMIT = 3 * 1024 * 1024;

// Resend's templates API, path for path (the `resend` SDK's templates.*), `:id` being an id or an
// alias. Each route declares its auth through edge.config(scope) (plugins/auth.ts): templates:read
// or templates:write on the public API, the session on the dashboard.
export function templateRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const templates = deps.services.templates;
  const read = edge.config('templates:read');
  const write = edge.config('templates:write');
  const tags = edge.tags('Templates');
  const base = `${edge.prefix}/templates`;

  r.post(base, {
    config: write,
    bodyLimit: CONTENT_BODY_LIMIT,
    schema: { tags, summary: 'Create a template (a draft: publish it to send with it)', body: createTemplateBody, response: { 201: templateRef } },
    handler: async (req, reply) => reply.code(201).send(await templates.create(edge.actor(req), req.body)),
  });
  r.get(base, {
    config: read,
    schema: { tags, summary: 'List templates', querystring: pageQuery, response: { 200: templateList } },
    handler: async (req) => templates.list(edge.actor(req), toCursor(req.query)),
  });
  r.get(`${base}/:id`, {
    config: read,
    schema: { tags, summary: 'Retrieve a template by id or alias (its draft content)', params: templateIdParams, response: { 200: templateObject } },
    handler: async (req) => templates.get(edge.actor(req), req.params.id),
  });
  r.patch(`${base}/:id`, {
    config: write,
    bodyLimit: CONTENT_BODY_LIMIT,
    schema: {
      tags,
      summary: 'Edit the draft (a published template keeps sending its published version until the next publish)',
      params: templateIdParams,
      body: updateTemplateBody,
      response: { 200: templateRef },
    },
    handler: async (req) => templates.update(edge.actor(req), req.params.id, req.body),
  });
  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags, summary: 'Delete a template and all its versions', params: templateIdParams, response: { 200: deletedTemplate } },
    handler: async (req) => templates.remove(edge.actor(req), req.params.id),
  });
  r.post(`${base}/:id/publish`, {
    config: write,
    schema: { tags, summary: 'Publish the draft: emails sent with the template use it from now on', params: templateIdParams, body: emptyBody, response: { 200: templateRef } },
    handler: async (req) => templates.publish(edge.actor(req), req.params.id),
  });
  r.post(`${base}/:id/duplicate`, {
    config: write,
    schema: { tags, summary: 'Copy the draft into a new draft template (without the alias)', params: templateIdParams, body: emptyBody, response: { 201: templateRef } },
    handler: async (req, reply) => reply.code(201).send(await templates.duplicate(edge.actor(req), req.params.id)),
  });
  r.post(`${base}/:id/render`, {
    config: read,
    schema: {
      tags,
      summary: 'Render the draft with variables (a preview; beyond Resend)',
      params: templateIdParams,
      body: renderTemplateBody,
      response: { 200: renderedTemplate },
    },
    handler: async (req) => templates.render(edge.actor(req), req.params.id, req.body.variables ?? {}),
  });
}
