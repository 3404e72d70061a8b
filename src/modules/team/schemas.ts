import { z } from 'zod';
import { MEMBER_ROLES } from './roles.js';

// Request and response shapes of the team routes (dashboard/api/members, /invitations).

const role = z.enum(MEMBER_ROLES);

export const memberObject = z.object({
  object: z.literal('member'),
  id: z.string(),
  email: z.string(),
  role,
  two_factor_enabled: z.boolean(),
  created_at: z.string(),
});

export const invitationObject = z.object({
  object: z.literal('invitation'),
  id: z.string(),
  email: z.string(),
  role,
  status: z.enum(['pending', 'expired']),
  invited_by: z.string().nullable(),
  expires_at: z.string(),
  created_at: z.string(),
});

export const createdInvitation = invitationObject.extend({ invite_url: z.string(), emailed: z.boolean() });

export const inviteBody = z.strictObject({ email: z.string().max(254), role });
export const changeRoleBody = z.strictObject({ role });
export const acceptBody = z.strictObject({ token: z.string().max(128), password: z.string().max(1024) });

export const idParams = z.strictObject({ id: z.string().min(1).max(64) });

export const deleted = (object: string) => z.object({ object: z.literal(object), id: z.string(), deleted: z.literal(true) });
export const listOf = <T extends z.ZodType>(item: T) => z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(item) });
