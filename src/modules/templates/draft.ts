import { createHash } from 'node:crypto';
import type { StoredTemplateVariable, TemplateRow, TemplateVersionRow } from '../../db/schema-templates.js';
import { validationError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { formatMailbox, parseMailbox } from '../emails/address.js';
import { checkTemplate, type TemplateContent } from './render.js';
import type { CreateTemplateInput, UpdateTemplateInput } from './schemas.js';

// From a request body to the content of a version: addresses normalised, variables stamped with
// when they were declared and changed, and the whole checked (render.ts) before it is stored.

/** A version's content, as stored. */
export type Draft = {
  subject: string | null;
  html: string;
  text: string | null;
  from: string | null;
  replyTo: string[] | null;
  variables: StoredTemplateVariable[];
};

type VariableInput = NonNullable<CreateTemplateInput['variables']>[number];

/** Letters, digits, `.`, `_` and `-`: safe unencoded in a path, which is where the SDK puts it. */
const ALIAS = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

export function checkAlias(alias: string): string {
  if (!ALIAS.test(alias)) throw validationError('alias', 'must be 1 to 64 letters, digits, ".", "_" or "-", starting and ending with a letter or digit');
  // An alias shaped like an id would make `/templates/{id or alias}` ambiguous.
  if (isId('template', alias)) throw validationError('alias', 'must not have the shape of a template id');
  return alias;
}

function mailboxOf(field: string, text: string): string {
  const parsed = parseMailbox(text);
  if (!parsed.ok) throw validationError(field, parsed.reason);
  return formatMailbox(parsed.mailbox);
}

function replyToOf(value: string | string[] | null | undefined): string[] | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return [mailboxOf('reply_to', value)];
  if (value.length === 0) return null;
  return value.map((text, i) => mailboxOf(`reply_to[${i}]`, text));
}

/** Declared variables, keeping the `created_at` (and, when unchanged, `updated_at`) of keys declared before. */
function variablesOf(input: readonly VariableInput[], before: readonly StoredTemplateVariable[], now: string): StoredTemplateVariable[] {
  const previous = new Map(before.map((v) => [v.key, v]));
  return input.map((v) => {
    const fallbackValue = v.fallback_value ?? null;
    const old = previous.get(v.key);
    const unchanged = old !== undefined && old.type === v.type && old.fallbackValue === fallbackValue;
    return { key: v.key, type: v.type, fallbackValue, createdAt: old?.createdAt ?? now, updatedAt: unchanged ? old.updatedAt : now };
  });
}

export function contentOf(draft: Draft): TemplateContent {
  return { subject: draft.subject, html: draft.html, text: draft.text, variables: draft.variables };
}

/** The first version of a new template, checked. */
export function newDraft(input: CreateTemplateInput, now: Date): Draft {
  const draft: Draft = {
    subject: input.subject ?? null,
    html: input.html,
    text: input.text ?? null,
    from: input.from == null ? null : mailboxOf('from', input.from),
    replyTo: replyToOf(input.reply_to),
    variables: variablesOf(input.variables ?? [], [], now.toISOString()),
  };
  checkTemplate(contentOf(draft));
  return draft;
}

/** The draft with a PATCH applied (absent fields kept, null clears), checked as a whole. */
export function patchedDraft(current: TemplateVersionRow, patch: UpdateTemplateInput, now: Date): Draft {
  const keep = <T>(value: T | null | undefined, was: T | null): T | null => (value === undefined ? was : value);
  const draft: Draft = {
    subject: keep(patch.subject, current.subject),
    html: patch.html ?? current.html,
    text: keep(patch.text, current.text),
    from: patch.from === undefined ? current.from : patch.from === null ? null : mailboxOf('from', patch.from),
    replyTo: patch.reply_to === undefined ? current.replyTo : replyToOf(patch.reply_to),
    variables: patch.variables === undefined ? current.variables : variablesOf(patch.variables ?? [], current.variables, now.toISOString()),
  };
  checkTemplate(contentOf(draft));
  return draft;
}

export function sameContent(a: Draft, b: Draft): boolean {
  return JSON.stringify(contentKey(a)) === JSON.stringify(contentKey(b));
}

function contentKey(d: Draft): unknown[] {
  return [d.subject, d.html, d.text, d.from, d.replyTo, d.variables.map((v) => [v.key, v.type, v.fallbackValue])];
}

export function draftOfVersion(version: TemplateVersionRow): Draft {
  return { subject: version.subject, html: version.html, text: version.text, from: version.from, replyTo: version.replyTo, variables: version.variables };
}

const digest = (s: string | null): string | null => (s === null ? null : createHash('sha256').update(s).digest('hex').slice(0, 16));

/**
 * What the audit log keeps of a template: its settings, and digests of html and text (a change
 * shows without copying up to a megabyte of content into the log).
 */
export function auditView(row: TemplateRow, draft: Draft): Record<string, unknown> {
  return {
    name: row.name,
    alias: row.alias,
    subject: draft.subject,
    from: draft.from,
    reply_to: draft.replyTo,
    variables: draft.variables.map((v) => ({ key: v.key, type: v.type, fallback_value: v.fallbackValue })),
    html_digest: digest(draft.html),
    text_digest: digest(draft.text),
  };
}
