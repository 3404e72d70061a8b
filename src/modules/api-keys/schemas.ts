import { z } from 'zod';
import { PERMISSIONS, SCOPES } from './scopes.js';

// Request and response shapes of the API key routes. Objects are strict: an unknown field
// (organization_id, hash, created_at...) is a 422, never silently applied or ignored.

const name = z.string().trim().min(1).max(100);
const ipList = z.union([z.array(z.string().max(100)).max(100), z.string().max(5000)]);
const domainIds = z.array(z.string().max(64)).max(100);
const expiresAt = z.iso.datetime({ offset: true }).nullable();

export const createKeyBody = z.strictObject({
  name,
  permission: z.enum(PERMISSIONS).optional(),
  scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional(),
  domain_ids: domainIds.optional(),
  /** Resend's singular form, read as a one-element domain_ids. */
  domain_id: z.string().max(64).optional(),
  allowed_ips: ipList.optional(),
  mode: z.enum(['live', 'test']).optional(),
  expires_at: expiresAt.optional(),
});
export type CreateKeyBody = z.infer<typeof createKeyBody>;

export const updateKeyBody = z.strictObject({
  name: name.optional(),
  permission: z.enum(PERMISSIONS).optional(),
  scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional(),
  domain_ids: domainIds.optional(),
  domain_id: z.string().max(64).nullable().optional(),
  allowed_ips: ipList.nullable().optional(),
  expires_at: expiresAt.optional(),
});
export type UpdateKeyBody = z.infer<typeof updateKeyBody>;

export const rotateKeyBody = z
  .strictObject({
    grace_seconds: z.number().int().min(0).max(604_800).optional(),
  })
  .nullish();

export const usageQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).default(30),
});

export const keyIdParams = z.strictObject({ id: z.string().min(1).max(64) });

export const apiKeyObject = z.object({
  object: z.literal('api_key'),
  id: z.string(),
  name: z.string(),
  permission: z.enum(PERMISSIONS),
  scopes: z.array(z.string()),
  domain_ids: z.array(z.string()),
  allowed_ips: z.array(z.string()),
  mode: z.enum(['live', 'test']),
  redacted_token: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  previous_token_expires_at: z.string().nullable(),
  /** Unused for POSTGATE_STALE_KEY_DAYS (or never used since created that long ago): a key to review or revoke. */
  stale: z.boolean().optional(),
});
export type ApiKeyObject = z.infer<typeof apiKeyObject>;

export const apiKeyWithToken = apiKeyObject.extend({ token: z.string() });

export const deletedKey = z.object({ object: z.literal('api_key'), id: z.string(), deleted: z.literal(true) });

export const keyUsage = z.object({
  object: z.literal('api_key_usage'),
  id: z.string(),
  days: z.array(
    z.object({
      date: z.string(),
      total: z.number(),
      routes: z.array(z.object({ route: z.string(), status: z.number(), count: z.number() })),
    }),
  ),
  recent_ips: z.array(z.object({ ip: z.string(), last_seen_at: z.string() })),
});
