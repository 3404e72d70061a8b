import { z } from 'zod';
import { EMAIL_EVENT_TYPES } from '../../db/schema.js';

// Request and response shapes of the email routes: Resend's fields, strict (an unknown field is a
// 422, never ignored). These check shape and size; what needs thought (addresses, header safety,
// attachments, the schedule) is checked by the service, which names the field the same way.

export const MAX_RECIPIENTS_PER_FIELD = 50;
export const MAX_BATCH = 100;
/** The JSON body of POST /emails and /emails/batch (attachments travel in it, base64). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const addressText = z.string().max(998);
const addresses = z.union([addressText, z.array(addressText).max(MAX_RECIPIENTS_PER_FIELD)]);
const tagPart = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'may hold only ASCII letters, digits, _ and - (at most 256)');

export const attachmentInput = z.strictObject({
  filename: z.string().max(1000).optional(),
  /** Base64. */
  content: z.string().optional(),
  content_type: z.string().max(255).optional(),
  content_id: z.string().max(255).optional(),
  /** Accepted from the Resend SDK's shape so the answer can explain: remote files are not fetched. */
  path: z.string().max(2048).optional(),
});

/**
 * `template: {id, variables}`: the published version of a template (by id or alias) renders the
 * email (with-template.ts). Values are strings or numbers, as the SDK types them; which keys are
 * allowed is the template's to say.
 */
export const templateInput = z.strictObject({
  id: z.string().min(1).max(64),
  variables: z.record(z.string().max(256), z.union([z.string(), z.number()])).optional(),
});
export type TemplateInput = z.infer<typeof templateInput>;

/**
 * `from` and `subject` may be left out when a template gives them; without one, the service
 * refuses their absence (prepare.ts), naming the field like every other refusal.
 */
export const sendEmailBody = z.strictObject({
  from: z.string().min(1).max(998).optional(),
  to: addresses,
  cc: addresses.optional(),
  bcc: addresses.optional(),
  reply_to: addresses.optional(),
  subject: z.string().max(998).optional(),
  html: z.string().optional(),
  text: z.string().optional(),
  template: templateInput.optional(),
  /** Resend's topic (audience, later); the SDK sends `null` for none. */
  topic_id: z.string().min(1).max(64).nullish(),
  headers: z.record(z.string().max(1000), z.string().max(2000)).optional(),
  attachments: z.array(attachmentInput).max(50).optional(),
  tags: z.array(z.strictObject({ name: tagPart, value: tagPart })).max(50).optional(),
  scheduled_at: z.string().max(64).optional(),
});
export type SendEmailInput = z.infer<typeof sendEmailBody>;

export const sendBatchBody = z.array(sendEmailBody).min(1).max(MAX_BATCH);
export type SendBatchInput = z.infer<typeof sendBatchBody>;

export const createdEmail = z.object({ id: z.string() });
/** The items of a permissive batch refused (`index` into the request's list), as Resend lists them. */
export const batchErrors = z.array(z.object({ index: z.number().int(), message: z.string() }));
/** `errors` only in permissive mode (the SDK's CreateBatchSuccessResponse). */
export const createdBatch = z.object({ data: z.array(createdEmail), errors: batchErrors.optional() });
export type CreatedBatch = z.infer<typeof createdBatch>;

/** `x-batch-validation`: strict (the default) accepts all or none; permissive the valid ones. */
export const BATCH_VALIDATION_MODES = ['strict', 'permissive'] as const;
export type BatchValidation = (typeof BATCH_VALIDATION_MODES)[number];
/** What a permissive batch's body must be before its items are checked one by one. */
export const permissiveBatchBody = z.array(z.unknown()).min(1).max(MAX_BATCH);

export const emailIdParams = z.strictObject({ id: z.string().min(1).max(64) });

/** `Idempotency-Key`: 1..256 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,256}$/;

const eventType = z.enum(EMAIL_EVENT_TYPES);
export const LAST_EVENTS = [...EMAIL_EVENT_TYPES, 'scheduled'] as const;

export const emailEvent = z.object({ type: eventType, created_at: z.string(), detail: z.string().nullable() });

/** An email in lists (Resend's list shape). */
export const emailSummary = z.object({
  object: z.literal('email'),
  id: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()).nullable(),
  bcc: z.array(z.string()).nullable(),
  reply_to: z.array(z.string()).nullable(),
  subject: z.string(),
  created_at: z.string(),
  scheduled_at: z.string().nullable(),
  last_event: z.enum(LAST_EVENTS),
  message_id: z.string(),
});
export type EmailSummary = z.infer<typeof emailSummary>;

/** One email with its content and the events of its delivery. */
export const emailObject = emailSummary.extend({
  html: z.string().nullable(),
  text: z.string().nullable(),
  tags: z.array(z.object({ name: z.string(), value: z.string() })),
  /** Beyond Resend: the template it was sent with (its id, even once deleted) and the variables given. */
  template_id: z.string().nullable(),
  template_variables: z.record(z.string(), z.union([z.string(), z.number()])).nullable(),
  topic_id: z.string().nullable(),
  events: z.array(emailEvent),
});
export type EmailObject = z.infer<typeof emailObject>;

export const emailList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(emailSummary) });
