import { z } from 'zod';
import type { StoredTemplateVariable, TemplateRow, TemplateVersionRow } from '../../db/schema-templates.js';
import { MAX_CONTENT_BYTES, MAX_SUBJECT_LENGTH, MAX_VARIABLES } from './render.js';

// The templates API in Resend's shapes (the `resend` SDK's Template interfaces), snake_case on the
// wire. Bodies are strict: a field the API does not take (status, organization_id) is a 422.
// These check shape and size; the service checks what needs thought (addresses, tags, keys).

const content = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s) <= MAX_CONTENT_BYTES, `must be at most ${MAX_CONTENT_BYTES} bytes`);
const optionalContent = content.nullish();
const address = z.string().min(1).max(998);

const variableInput = z.strictObject({
  key: z.string().min(1).max(256),
  type: z.enum(['string', 'number']),
  fallback_value: z.union([z.string().max(2_000), z.number()]).nullish(),
});

const fields = {
  subject: z.string().max(MAX_SUBJECT_LENGTH).nullish(),
  text: optionalContent,
  alias: z.string().min(1).max(64).nullish(),
  from: address.nullish(),
  /** The SDK sends one address as a string, several as an array. */
  reply_to: z.union([address, z.array(address).max(50)]).nullish(),
  variables: z.array(variableInput).max(MAX_VARIABLES, `at most ${MAX_VARIABLES} variables per template`).nullish(),
};

export const createTemplateBody = z.strictObject({ name: z.string().min(1).max(256), html: content, ...fields });
export const updateTemplateBody = z.strictObject({ name: z.string().min(1).max(256).optional(), html: content.optional(), ...fields });
export type CreateTemplateInput = z.infer<typeof createTemplateBody>;
export type UpdateTemplateInput = z.infer<typeof updateTemplateBody>;

/** Publish and duplicate take no body; the SDK sends none (`{}` is accepted, anything in it is not). */
export const emptyBody = z.strictObject({}).nullish();
export const renderTemplateBody = z.strictObject({ variables: z.record(z.string().max(256), z.unknown()).optional() });

/** An id (`tmpl_...`) or an alias. */
export const templateIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const variableObject = z.object({
  key: z.string(),
  type: z.enum(['string', 'number']),
  fallback_value: z.union([z.string(), z.number()]).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const templateSummary = z.object({
  id: z.string(),
  name: z.string(),
  alias: z.string().nullable(),
  status: z.enum(['draft', 'published']),
  published_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export const templateObject = templateSummary.extend({
  object: z.literal('template'),
  /** The published version when there is one, else the draft. */
  current_version_id: z.string(),
  has_unpublished_versions: z.boolean(),
  // The content is the draft's: what is being edited, and what publish would send.
  subject: z.string().nullable(),
  html: z.string(),
  text: z.string().nullable(),
  from: z.string().nullable(),
  reply_to: z.array(z.string()).nullable(),
  variables: z.array(variableObject).nullable(),
});
export const templateList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(templateSummary) });
export const templateRef = z.object({ id: z.string(), object: z.literal('template') });
export const deletedTemplate = z.object({ object: z.literal('template'), id: z.string(), deleted: z.literal(true) });
export const renderedTemplate = z.object({ subject: z.string().nullable(), html: z.string(), text: z.string().nullable() });

export type TemplateSummary = z.infer<typeof templateSummary>;
export type TemplateObject = z.infer<typeof templateObject>;
export type TemplateRef = z.infer<typeof templateRef>;

export function presentSummary(row: TemplateRow): TemplateSummary {
  return {
    id: row.id,
    name: row.name,
    alias: row.alias,
    status: row.publishedVersionId === null ? 'draft' : 'published',
    published_at: row.publishedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function presentVariable(v: StoredTemplateVariable): z.infer<typeof variableObject> {
  return { key: v.key, type: v.type, fallback_value: v.fallbackValue, created_at: v.createdAt, updated_at: v.updatedAt };
}

/** The template with its draft's content. */
export function presentTemplate(row: TemplateRow, draft: TemplateVersionRow): TemplateObject {
  return {
    object: 'template',
    ...presentSummary(row),
    current_version_id: row.publishedVersionId ?? row.draftVersionId,
    has_unpublished_versions: row.publishedVersionId !== null && row.publishedVersionId !== row.draftVersionId,
    subject: draft.subject,
    html: draft.html,
    text: draft.text,
    from: draft.from,
    reply_to: draft.replyTo,
    variables: draft.variables.map(presentVariable),
  };
}
