import { z } from 'zod';
import { DOMAIN_STATUSES } from '../../db/schema.js';

// Request and response shapes of the domain routes. The create body is strict like every other
// body; `region` and `custom_return_path` are accepted only because the Resend SDK sends them,
// and ignored: a self-hosted server has one region and one return path.

export const createDomainBody = z.strictObject({
  // Length only here: the service validates the name itself (the CLI and dashboard call it too).
  name: z.string().min(1).max(300),
  region: z.string().max(64).optional(),
  custom_return_path: z.string().max(255).optional(),
});
export type CreateDomainBody = z.infer<typeof createDomainBody>;

/**
 * POST /domains/:id/verify takes no fields. The Resend SDK sends no body; a bodiless POST without
 * Content-Type reaches validation as null, hence nullish.
 */
export const verifyDomainBody = z.strictObject({}).nullish();

export const domainIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const status = z.enum(DOMAIN_STATUSES);
export type DomainStatus = z.infer<typeof status>;
export type RecordStatus = DomainStatus;

export const domainRecord = z.object({
  record: z.enum(['Ownership', 'DKIM', 'SPF']),
  name: z.string(),
  type: z.literal('TXT'),
  ttl: z.literal('Auto'),
  value: z.string(),
  status,
  /** False for advice (SPF): the domain verifies without it. */
  required: z.boolean(),
});
export type DomainRecord = z.infer<typeof domainRecord>;

/** A domain in lists: no records (Resend's list shape). */
export const domainSummary = z.object({
  object: z.literal('domain'),
  id: z.string(),
  name: z.string(),
  status,
  created_at: z.string(),
});
export type DomainSummary = z.infer<typeof domainSummary>;

/** A domain with the records to publish. Never the DKIM private key. */
export const domainObject = domainSummary.extend({
  records: z.array(domainRecord),
  last_checked_at: z.string().nullable(),
});
export type DomainObject = z.infer<typeof domainObject>;

export const domainList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(domainSummary) });

export const deletedDomain = z.object({ object: z.literal('domain'), id: z.string(), deleted: z.literal(true) });
