import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.js';
import { pageQuery, toCursor } from '../../lib/pagination.js';
import { deletedProject, projectBody, projectIdParams, projectList, projectObject } from '../../modules/projects/schemas.js';
import { PUBLIC_API, type RouteEdge } from '../route-edge.js';

/** `GET /projects`: every project of the caller's organization (projects:read). */
export function projectReadRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge = PUBLIC_API): void {
  app.withTypeProvider<ZodTypeProvider>().get(`${edge.prefix}/projects`, {
    config: edge.config('projects:read'),
    schema: { tags: edge.tags('Projects'), summary: "List the organization's projects", querystring: pageQuery, response: { 200: projectList } },
    handler: async (req) => deps.services.projects.list(edge.actor(req), toCursor(req.query)),
  });
}

/**
 * Creating, renaming and deleting projects: the dashboard's only (and the CLI's), never an API
 * key's, since no scope grants it (CONTRACT.md section 10).
 */
export function projectManagementRoutes(app: FastifyInstance, deps: Deps, edge: RouteEdge): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const projects = deps.services.projects;
  const config = { auth: 'session' as const, access: 'organization:write' as const };
  const tags = edge.tags('Projects');
  const base = `${edge.prefix}/projects`;
  r.post(base, {
    config,
    schema: { tags, summary: 'Create a project', body: projectBody, response: { 201: projectObject } },
    handler: async (req, reply) => reply.code(201).send(await projects.create(edge.actor(req), req.body.name)),
  });
  r.patch(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Rename a project', params: projectIdParams, body: projectBody, response: { 200: projectObject } },
    handler: async (req) => projects.rename(edge.actor(req), req.params.id, req.body.name),
  });
  r.delete(`${base}/:id`, {
    config,
    schema: { tags, summary: 'Delete an empty project (not the default one)', params: projectIdParams, response: { 200: deletedProject } },
    handler: async (req) => projects.delete(edge.actor(req), req.params.id),
  });
}
