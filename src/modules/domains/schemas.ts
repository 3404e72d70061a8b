import { z } from 'zod';
import { DOMAIN_STATUSES } from '../../db/schema.js';

// Request and response shapes of the domain routes. The create body is strict like every other
// body; `region` and `custom_return_path` are accepted only because the Resend SDK sends them,
// and ignored: a self-hosted server has one region and one return path.

export const DOMAIN_TLS_MODES = ['opportunistic', 'enforced'] as const;
/** `enforced`: mail from the domain leaves only over TLS (a relay without STARTTLS is refused). */
export type DomainTls = (typeof DOMAIN_TLS_MODES)[number];

/** What a domain's owner may set at creation and change later (Resend's names). */
const settings = {
  open_tracking: z.boolean().optional(),
  click_tracking: z.boolean().optional(),
  tls: z.enum(DOMAIN_TLS_MODES).optional(),
};

export const createDomainBody = z.strictObject({
  // Length only here: the service validates the name itself (the CLI and dashboard call it too).
  name: z.string().min(1).max(300),
  region: z.string().max(64).optional(),
  custom_return_path: z.string().max(255).optional(),
  ...settings,
});
export type CreateDomainBody = z.infer<typeof createDomainBody>;

/**
 * PATCH /domains/:id (the SDK's domains.update). Resend's `capabilities` and `tracking_subdomain`
 * are refused as unknown fields rather than ignored: Postgate has no inbound capability to switch
 * yet, and tracking links use POSTGATE_PUBLIC_URL, not a per-domain subdomain.
 */
export const updateDomainBody = z.strictObject(settings);
export type DomainSettings = Readonly<{ openTracking?: boolean; clickTracking?: boolean; tls?: DomainTls }>;

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
  open_tracking: z.boolean(),
  click_tracking: z.boolean(),
  tls: z.enum(DOMAIN_TLS_MODES),
});
export type DomainSummary = z.infer<typeof domainSummary>;

/** A domain with the records to publish. Never the DKIM private key. */
export const domainObject = domainSummary.extend({
  records: z.array(domainRecord),
  last_checked_at: z.string().nullable(),
});
export type DomainObject = z.infer<typeof domainObject>;

export const domainList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(domainSummary) });

/** The answer to PATCH, as Resend's (UpdateDomainsResponseSuccess). */
export const updatedDomain = z.object({ object: z.literal('domain'), id: z.string() });

export const deletedDomain = z.object({ object: z.literal('domain'), id: z.string(), deleted: z.literal(true) });
