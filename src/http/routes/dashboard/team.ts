import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../../app/deps.js';
import {
  changeRoleBody,
  createdInvitation,
  deleted,
  idParams,
  invitationObject,
  inviteBody,
  listOf,
  memberObject,
} from '../../../modules/team/schemas.js';
import { memberOf } from '../../plugins/session.js';

const tags = ['Dashboard'];
// What each route needs from the member's role (modules/team/roles.ts, checked by plugins/session.ts).
const read = { auth: 'session', access: 'members:read' } as const;
const write = { auth: 'session', access: 'members:write' } as const;

/** The team page: members and their roles, invitations. Accepting an invitation is in account.ts. */
export function teamRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const team = deps.services.team;

  r.get('/dashboard/api/members', {
    config: read,
    schema: { tags, summary: 'Members of the organization and their roles', response: { 200: listOf(memberObject) } },
    handler: async (req) => team.listMembers(memberOf(req)),
  });

  r.patch('/dashboard/api/members/:id', {
    config: write,
    schema: {
      tags,
      summary: "Change a member's role (only owners make or demote owners; nobody raises their own role; the last owner stays)",
      params: idParams,
      body: changeRoleBody,
      response: { 200: memberObject },
    },
    handler: async (req) => team.changeRole(memberOf(req), req.params.id, req.body.role),
  });

  r.delete('/dashboard/api/members/:id', {
    config: write,
    schema: { tags, summary: 'Remove a member (oneself: leave); the last owner cannot', params: idParams, response: { 200: deleted('member') } },
    handler: async (req) => team.removeMember(memberOf(req), req.params.id),
  });

  r.get('/dashboard/api/invitations', {
    config: read,
    schema: { tags, summary: 'Invitations not yet accepted', response: { 200: listOf(invitationObject) } },
    handler: async (req) => team.listInvitations(memberOf(req)),
  });

  r.post('/dashboard/api/invitations', {
    config: write,
    schema: {
      tags,
      summary: 'Invite someone: a single-use link that expires, shown once (and mailed when the organization has a verified domain)',
      body: inviteBody,
      response: { 201: createdInvitation },
    },
    handler: async (req, reply) => reply.code(201).send(await team.invite(memberOf(req), req.body)),
  });

  r.delete('/dashboard/api/invitations/:id', {
    config: write,
    schema: { tags, summary: 'Revoke an invitation: its link stops working', params: idParams, response: { 200: deleted('invitation') } },
    handler: async (req) => team.revokeInvitation(memberOf(req), req.params.id),
  });
}
