import { z } from 'zod';
import { DOMAIN_REGIONS, DOMAIN_STATUSES } from '../../db/schema.js';
import { HOST_LABEL } from './domain-name.js';

// Request and response shapes of the domain routes: every field the Resend SDK sends
// (DomainApiOptions) and every field its Domain type reads. Bodies are strict like every other
// body, so a misspelt field is a 422, never silently dropped. docs/domains.md says what each
// field does on a self-hosted server, and where it differs from Resend.

export const DOMAIN_TLS_MODES = ['opportunistic', 'enforced'] as const;
/** `enforced`: mail from the domain leaves only over TLS (a relay without STARTTLS is refused). */
export type DomainTls = (typeof DOMAIN_TLS_MODES)[number];
export type DomainRegion = (typeof DOMAIN_REGIONS)[number];
const CAPABILITY_STATUSES = ['enabled', 'disabled'] as const;
export type CapabilityStatus = (typeof CAPABILITY_STATUSES)[number];

/** A subdomain of the domain (`send`, `links`): one host label, folded to lowercase. */
const subdomainLabel = z
  .string()
  .trim()
  .toLowerCase()
  .regex(HOST_LABEL, { error: 'must be one DNS label: 1 to 63 letters, digits and inner hyphens (no dots or underscores)' });

const capabilities = z.strictObject({
  // Every Postgate domain sends: a domain for receiving only has no use until inbound mail exists.
  sending: z.literal('enabled', { error: 'cannot be disabled: every Postgate domain sends' }).optional(),
  receiving: z.enum(CAPABILITY_STATUSES).optional(),
});

/** What a domain's owner may set at creation and change later (Resend's names). */
const settings = {
  open_tracking: z.boolean().optional(),
  click_tracking: z.boolean().optional(),
  tls: z.enum(DOMAIN_TLS_MODES).optional(),
  capabilities: capabilities.optional(),
};

export const createDomainBody = z.strictObject({
  // Length only here: the service validates the name itself (the CLI and dashboard call it too).
  name: z.string().min(1).max(300),
  region: z.enum(DOMAIN_REGIONS).optional(),
  custom_return_path: subdomainLabel.optional(),
  tracking_subdomain: subdomainLabel.optional(),
  ...settings,
});
export type CreateDomainBody = z.infer<typeof createDomainBody>;

/**
 * PATCH /domains/:id, the SDK's domains.update: as Resend's, region and custom_return_path are
 * set once, at creation. `tracking_subdomain: null` clears it (beyond Resend). A body that sets
 * nothing, or no body at all, changes nothing.
 */
export const updateDomainBody = z
  .strictObject({ ...settings, tracking_subdomain: subdomainLabel.nullable().optional() })
  .nullish();
export type UpdateDomainBody = z.infer<typeof updateDomainBody>;

/** What may change after creation, in the service's names; a field left out keeps its value. */
export type DomainSettings = Readonly<{
  openTracking?: boolean | undefined;
  clickTracking?: boolean | undefined;
  tls?: DomainTls | undefined;
  receiving?: CapabilityStatus | undefined;
  trackingSubdomain?: string | null | undefined;
}>;

/** A new domain: its name, where Resend would keep it, its return path, and its settings. */
export type NewDomain = DomainSettings & Readonly<{ name: string; region?: DomainRegion | undefined; customReturnPath?: string | undefined }>;

/**
 * POST /domains/:id/verify takes no fields. The Resend SDK sends no body; a bodiless POST without
 * Content-Type reaches validation as null, hence nullish.
 */
export const verifyDomainBody = z.strictObject({}).nullish();

export const domainIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const status = z.enum(DOMAIN_STATUSES);
export type DomainStatus = z.infer<typeof status>;
export type RecordStatus = DomainStatus;

/** The SDK's record kinds, and `Verification` (the ownership TXT, which Resend has no kind for). */
export const RECORD_KINDS = ['Verification', 'DKIM', 'SPF', 'Receiving'] as const;

export const domainRecord = z.object({
  record: z.enum(RECORD_KINDS),
  name: z.string(),
  type: z.enum(['TXT', 'MX']),
  ttl: z.literal('Auto'),
  value: z.string(),
  /** MX records only. */
  priority: z.number().int().optional(),
  status,
  /** False for advice (SPF, Receiving): the domain verifies without it. */
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
  region: z.enum(DOMAIN_REGIONS),
  capabilities: z.object({ sending: z.literal('enabled'), receiving: z.enum(CAPABILITY_STATUSES) }),
  open_tracking: z.boolean(),
  click_tracking: z.boolean(),
  tls: z.enum(DOMAIN_TLS_MODES),
  /** Absent when not set, as the SDK's type has it. */
  tracking_subdomain: z.string().optional(),
  /** Beyond Resend's Domain: the label of the bounce (Return-Path) subdomain. */
  custom_return_path: z.string(),
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
