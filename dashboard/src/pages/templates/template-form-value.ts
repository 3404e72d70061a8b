import { ApiError } from '../../api/client.ts';
import type { Template, TemplateVariableType } from '../../api/types.ts';
import { splitError } from '../../lib/form-errors.ts';

// The editor's form as strings, and the way to and from the API's body. The editor sends every
// field on save (a PATCH with the whole draft), so what is on screen is what is stored.

/** One declared variable's row; `row` keeps React's key stable as rows are added and removed. */
export type VariableRow = { row: number; key: string; type: TemplateVariableType; fallback: string };

export type TemplateFormValue = {
  name: string;
  alias: string;
  from: string;
  replyTo: string;
  subject: string;
  html: string;
  text: string;
  variables: VariableRow[];
};

export const TEMPLATE_FIELDS = ['name', 'alias', 'from', 'reply_to', 'subject', 'html', 'text', 'variables'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type VariableColumn = 'key' | 'type' | 'fallback_value';

export type TemplateErrors = {
  fields: Partial<Record<TemplateField, string>>;
  /** By row position, as the API names them (`variables[2].key`). */
  rows: Record<number, Partial<Record<VariableColumn, string>>>;
  form: string | undefined;
};

export const NO_ERRORS: TemplateErrors = { fields: {}, rows: {}, form: undefined };

let nextRow = 0;
export const newVariableRow = (): VariableRow => ({ row: nextRow++, key: '', type: 'string', fallback: '' });

export const EMPTY_TEMPLATE: TemplateFormValue = { name: '', alias: '', from: '', replyTo: '', subject: '', html: '', text: '', variables: [] };

export function formOf(template: Template): TemplateFormValue {
  return {
    name: template.name,
    alias: template.alias ?? '',
    from: template.from ?? '',
    replyTo: (template.reply_to ?? []).join(', '),
    subject: template.subject ?? '',
    html: template.html,
    text: template.text ?? '',
    variables: (template.variables ?? []).map((v) => ({ ...newVariableRow(), key: v.key, type: v.type, fallback: v.fallback_value === null ? '' : String(v.fallback_value) })),
  };
}

/** Splits on the commas between addresses, not those inside a quoted display name ("Doe, Jane" <j@x>). */
export function splitAddresses(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}

/** An empty fallback is none; a number variable's fallback goes as a number when it reads as one (else as typed, for the server to name). */
function fallbackOf(v: VariableRow): string | number | null {
  const raw = v.fallback.trim();
  if (raw === '') return null;
  if (v.type === 'string') return v.fallback;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

const orNull = (s: string): string | null => (s.trim() === '' ? null : s.trim());

/** The create or PATCH body: every field, empty ones as null (cleared). */
export function bodyOf(value: TemplateFormValue): Record<string, unknown> {
  const replyTo = splitAddresses(value.replyTo);
  return {
    name: value.name.trim(),
    alias: orNull(value.alias),
    from: orNull(value.from),
    reply_to: replyTo.length === 0 ? null : replyTo,
    // Subject, html and text are kept as typed: spaces can matter in content.
    subject: value.subject === '' ? null : value.subject,
    html: value.html,
    text: value.text === '' ? null : value.text,
    variables: value.variables.map((v) => ({ key: v.key.trim(), type: v.type, fallback_value: fallbackOf(v) })),
  };
}

export const sameForm = (a: TemplateFormValue, b: TemplateFormValue): boolean => JSON.stringify(bodyOf(a)) === JSON.stringify(bodyOf(b));

/** What the browser can say before asking the server (the server checks everything again). */
export function checkForm(value: TemplateFormValue): TemplateErrors | undefined {
  const errors: TemplateErrors = { fields: {}, rows: {}, form: undefined };
  if (value.name.trim() === '') errors.fields.name = 'Give the template a name.';
  if (value.html.trim() === '') errors.fields.html = 'Give the template its HTML.';
  value.variables.forEach((v, i) => {
    if (v.key.trim() === '') errors.rows[i] = { key: 'Give the variable a key, such as NAME.' };
  });
  const found = Object.keys(errors.fields).length > 0 || Object.keys(errors.rows).length > 0;
  return found ? errors : undefined;
}

const ROW_FIELD = /^variables\[(\d+)\]\.(key|type|fallback_value)$/;

/** An API error put beside the field it names: a variable's cell, a field, or the form. */
export function templateErrorsOf(error: unknown): TemplateErrors {
  const row = error instanceof ApiError && error.field ? ROW_FIELD.exec(error.field) : null;
  if (row && error instanceof ApiError) return { fields: {}, rows: { [Number(row[1])]: { [row[2] as VariableColumn]: error.message } }, form: undefined };
  const split = splitError(error, TEMPLATE_FIELDS);
  return { fields: split.fields, rows: {}, form: split.form };
}
