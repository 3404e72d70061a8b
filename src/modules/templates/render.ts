import { AppError, validationError } from '../../lib/errors.js';
import { headerTextProblem } from '../emails/address.js';

// Resend's template syntax, `{{{KEY}}}`, and nothing else. A tokenizer of our own rather than a
// template engine: there is no expression, helper, partial or loop to evaluate, so a template can
// never run code, and rendering is one linear pass whose output is bounded as it grows.

export const MAX_VARIABLES = 50;
/** Source and rendered size of `html` and of `text`, in UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 512 * 1024;
/** RFC 5322's line limit, the limit POST /emails puts on a subject. */
export const MAX_SUBJECT_LENGTH = 998;

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;
/**
 * Keys Resend reserves for contacts and broadcasts (its "Working with Variables" page), plus
 * RESEND_UNSUBSCRIBE_URL, which its broadcasts also fill. Compared ignoring case, so `Email` or
 * `CONTACT` cannot be declared to shadow them either.
 */
export const RESERVED_KEYS: readonly string[] = ['FIRST_NAME', 'LAST_NAME', 'EMAIL', 'UNSUBSCRIBE_URL', 'RESEND_UNSUBSCRIBE_URL', 'contact', 'this'];
const RESERVED = new Set(RESERVED_KEYS.map((k) => k.toLowerCase()));
/** A numeric string a number variable takes as it is ("10.50" keeps its zero): plain decimals only. */
const NUMERIC = /^-?(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,20})?$/;

export type VariableType = 'string' | 'number';
export type TemplateVariable = Readonly<{ key: string; type: VariableType; fallbackValue: string | number | null }>;
export type ContentField = 'subject' | 'html' | 'text';
/** What renders: a version's content and its declared variables. */
export type TemplateContent = Readonly<{ subject: string | null; html: string; text: string | null; variables: readonly TemplateVariable[] }>;
export type RenderedTemplate = { subject: string | null; html: string; text: string | null };

type Segment = { kind: 'text'; value: string } | { kind: 'var'; key: string; offset: number };

export function isReservedKey(key: string): boolean {
  return RESERVED.has(key.toLowerCase());
}

/** `line L, column C (offset O)` of a UTF-16 offset, lines and columns counted from 1. */
function position(source: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1} (offset ${offset})`;
}

/** Splits content into text and `{{{KEY}}}` tags; a tag left open or naming no valid key is a 422 with its position. */
function tokenize(source: string, field: ContentField): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  for (let open = source.indexOf('{{{'); open !== -1; open = source.indexOf('{{{', at)) {
    if (open > at) segments.push({ kind: 'text', value: source.slice(at, open) });
    const close = source.indexOf('}}}', open + 3);
    if (close === -1) throw validationError(field, `"{{{" at ${position(source, open)} is never closed with "}}}"`);
    // Spaces inside the braces are allowed, as Handlebars users write them: `{{{ NAME }}}`.
    const key = source.slice(open + 3, close).trim();
    if (!KEY.test(key)) {
      const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
      throw validationError(
        field,
        `${JSON.stringify(shown)} at ${position(source, open)} is not a variable name: use letters, digits and _, not starting with a digit, at most 50 characters (fallbacks are declared in variables, not written in the tag)`,
      );
    }
    segments.push({ kind: 'var', key, offset: open });
    at = close + 3;
  }
  if (at < source.length) segments.push({ kind: 'text', value: source.slice(at) });
  return segments;
}

function fieldsOf(content: TemplateContent): [ContentField, string][] {
  const fields: [ContentField, string][] = [];
  if (content.subject !== null) fields.push(['subject', content.subject]);
  fields.push(['html', content.html]);
  if (content.text !== null) fields.push(['text', content.text]);
  return fields;
}

/**
 * Checks the declarations: at most 50, valid and unique keys, none reserved, each fallback of its
 * variable's type. Fields are named as in the request body (`variables[2].key`).
 */
export function checkVariables(variables: readonly TemplateVariable[]): void {
  if (variables.length > MAX_VARIABLES) throw validationError('variables', `at most ${MAX_VARIABLES} variables per template`);
  const seen = new Set<string>();
  variables.forEach((v, i) => {
    if (!KEY.test(v.key)) throw validationError(`variables[${i}].key`, 'must be letters, digits and _, not starting with a digit, at most 50 characters');
    if (isReservedKey(v.key)) throw validationError(`variables[${i}].key`, `${v.key} is reserved (${RESERVED_KEYS.join(', ')})`);
    if (seen.has(v.key)) throw validationError(`variables[${i}].key`, `${v.key} is declared twice`);
    seen.add(v.key);
    const fallback = v.fallbackValue;
    if (fallback === null) return;
    if (v.type === 'number' && !(typeof fallback === 'number' && Number.isFinite(fallback))) {
      throw validationError(`variables[${i}].fallback_value`, 'must be a number, as the variable is of type number');
    }
    if (v.type === 'string' && typeof fallback !== 'string') throw validationError(`variables[${i}].fallback_value`, 'must be a string, as the variable is of type string');
  });
}

/**
 * Checks a version before it is saved or published: the declarations, the subject as a header,
 * and every tag of subject, html and text, which must name a declared variable.
 */
export function checkTemplate(content: TemplateContent): void {
  checkVariables(content.variables);
  if (content.subject !== null) {
    const problem = headerTextProblem(content.subject);
    if (problem) throw validationError('subject', problem);
  }
  const declared = new Set(content.variables.map((v) => v.key));
  for (const [field, source] of fieldsOf(content)) {
    for (const segment of tokenize(source, field)) {
      if (segment.kind !== 'var' || declared.has(segment.key)) continue;
      const where = position(source, segment.offset);
      if (isReservedKey(segment.key)) throw validationError(field, `${segment.key} at ${where} is a reserved contact variable, which templates cannot use yet`);
      throw validationError(field, `variable ${segment.key} at ${where} is not declared: add it to variables`);
    }
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in HTML text and in quoted attribute values (not as a URL scheme or inside a script). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The value each declared variable renders as, from the caller's values and the fallbacks. */
function resolveValues(variables: readonly TemplateVariable[], values: Readonly<Record<string, unknown>>, prefix: string): Map<string, string> {
  const declared = new Map(variables.map((v) => [v.key, v]));
  for (const key of Object.keys(values)) {
    if (!declared.has(key)) throw validationError(`${prefix}.${key}`, 'is not a variable this template declares');
  }
  const resolved = new Map<string, string>();
  for (const v of variables) {
    const given = Object.hasOwn(values, v.key) ? values[v.key] : undefined;
    // null is "not given", so a caller can fall back explicitly.
    if (given === undefined || given === null) {
      if (v.fallbackValue === null) throw validationError(`${prefix}.${v.key}`, 'is missing, and the template declares no fallback_value for it');
      resolved.set(v.key, String(v.fallbackValue));
    } else {
      resolved.set(v.key, valueOf(v, given, `${prefix}.${v.key}`));
    }
  }
  return resolved;
}

function valueOf(variable: TemplateVariable, given: unknown, field: string): string {
  if (typeof given === 'number') {
    if (!Number.isFinite(given)) throw validationError(field, 'must be a finite number');
    return String(given);
  }
  if (typeof given !== 'string') throw validationError(field, `must be a ${variable.type}`);
  if (variable.type === 'number' && !NUMERIC.test(given)) throw validationError(field, 'must be a number (a JSON number, or a decimal string such as "10.50")');
  return given;
}

/** Appends to an output and refuses to grow it past its limit, so a repeated large value cannot take memory. */
class Output {
  private readonly parts: string[] = [];
  private size = 0;
  constructor(
    private readonly field: ContentField,
    private readonly limit: number,
    private readonly measure: (s: string) => number,
  ) {}
  add(piece: string): void {
    this.size += this.measure(piece);
    if (this.size > this.limit) {
      const unit = this.field === 'subject' ? 'characters' : 'bytes';
      throw new AppError('validation_error', `${this.field}: the rendered ${this.field} would be longer than ${this.limit} ${unit}`, { field: this.field });
    }
    this.parts.push(piece);
  }
  toString(): string {
    return this.parts.join('');
  }
}

function renderField(field: ContentField, source: string, resolved: ReadonlyMap<string, string>, prefix: string): string {
  const output = field === 'subject' ? new Output(field, MAX_SUBJECT_LENGTH, (s) => s.length) : new Output(field, MAX_CONTENT_BYTES, (s) => Buffer.byteLength(s));
  for (const segment of tokenize(source, field)) {
    if (segment.kind === 'text') {
      output.add(segment.value);
      continue;
    }
    const value = resolved.get(segment.key);
    // checkTemplate refuses undeclared tags before a version is saved; this guards older rows.
    if (value === undefined) throw validationError(field, `variable ${segment.key} at ${position(source, segment.offset)} is not declared`);
    if (field === 'subject') {
      // Security: the subject is a header; a value ending the line could inject headers.
      const problem = headerTextProblem(value);
      if (problem) throw validationError(`${prefix}.${segment.key}`, `is used in the subject and ${problem}`);
    }
    output.add(field === 'html' ? escapeHtml(value) : value);
  }
  return output.toString();
}

/**
 * Renders subject, html and text with `values`: HTML-escaped (`& < > " '`) in html, as given in
 * subject and text. Every declared variable needs a value or a fallback_value; a value for a
 * variable the template does not declare is refused. Errors name the variable under
 * `options.field` (default `variables`: `variables.NAME`).
 */
export function renderTemplate(content: TemplateContent, values: Readonly<Record<string, unknown>>, options: { field?: string } = {}): RenderedTemplate {
  const prefix = options.field ?? 'variables';
  const resolved = resolveValues(content.variables, values, prefix);
  return {
    subject: content.subject === null ? null : renderField('subject', content.subject, resolved, prefix),
    html: renderField('html', content.html, resolved, prefix),
    text: content.text === null ? null : renderField('text', content.text, resolved, prefix),
  };
}
