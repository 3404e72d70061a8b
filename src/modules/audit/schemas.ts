import { z } from 'zod';
import { pageQuery } from '../../lib/pagination.js';
import { isStorableYear, STORABLE_YEARS } from '../../lib/storable-time.js';

const isoTime = z.iso.datetime({ offset: true }).refine(isStorableYear, `must be a time ${STORABLE_YEARS}`);

export const auditQuery = pageQuery.extend({
  actor_id: z.string().min(1).max(64).optional(),
  action: z.string().regex(/^[a-z_]+(\.[a-z_]+|\.\*)$/, 'an action such as api_key.created, or api_key.* for all of a resource').optional(),
  target_id: z.string().min(1).max(64).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
});

const change = z.object({ before: z.unknown(), after: z.unknown() });

export const auditEventObject = z.object({
  object: z.literal('audit_event'),
  id: z.string(),
  occurred_at: z.string(),
  project_id: z.string().nullable(),
  actor: z.object({ type: z.enum(['user', 'api_key', 'cli', 'system']), id: z.string().nullable(), name: z.string().nullable() }),
  action: z.string(),
  targets: z.array(z.object({ type: z.string(), id: z.string(), name: z.string().nullable() })),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  changes: z.record(z.string(), change).nullable(),
});

export const auditEventList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(auditEventObject) });
