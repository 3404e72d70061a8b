import { AppError, validationError } from '../../lib/errors.js';
import { headerTextProblem, parseMailbox, type Mailbox } from './address.js';
import { NATURAL_TIME_FORMS, parseNaturalTime } from './natural-time.js';
import type { SendEmailInput } from './schemas.js';
import type { TemplateFill } from './with-template.js';

// From the validated JSON shape to an email the service can store: every address parsed, every
// header checked for line breaks, attachments decoded and capped, the schedule read. Errors name
// the field as the client wrote it (`to[2]`, `headers.X-Ref`, `[3].subject` in a batch). Sent with
// a template, the template's rendered content is the body, and its from, subject and reply_to
// stand in for the fields left out (with-template.ts renders it).

/** Decoded attachments of one email, together: below the body cap, which also counts base64. */
export const MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024;
const MAX_SCHEDULE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Headers that carry structure, identity or trust: set through their own fields, by Postgate
 * itself or by the receiving servers, never as custom headers (a custom Bcc or DKIM-Signature
 * would be a way around the rules; a forged Authentication-Results or Received-SPF would vouch
 * for a check no one made, and Resent-From would name another sender).
 */
const RESERVED_HEADERS = new Set([
  'from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'message-id', 'return-path', 'received',
  'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition', 'dkim-signature',
  'authentication-results', 'received-spf',
]);
/** Whole families: Resent-From, Resent-Sender, ...; ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results. */
const RESERVED_PREFIXES = ['resent-', 'arc-'];

function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}
// RFC 5322 field-name: printable ASCII but the colon.
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]{1,100}$/;
const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const CONTENT_ID = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,200}$/;
// Character class and padding only (a repeated group would backtrack through megabytes); length checked apart.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type PreparedAttachment = Readonly<{ filename: string; content: Buffer; contentType: string | undefined; cid: string | undefined }>;

export type PreparedEmail = Readonly<{
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  replyTo: Mailbox[];
  subject: string;
  html: string | undefined;
  text: string | undefined;
  headers: { key: string; value: string }[];
  attachments: PreparedAttachment[];
  tags: { name: string; value: string }[];
  /** Undefined, or in the past: deliver now. */
  scheduledAt: Date | undefined;
  /** Sent with a template: its id and the variables given, recorded on the email. */
  template?: { id: string; variables: Record<string, string | number> } | undefined;
  topicId?: string | undefined;
}>;

/** A field's name as the client wrote it: `to`, or `[3].to` in a batch. */
export function fieldIn(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/**
 * `prefix` names the email in a batch (`[3]`); empty for a single email. `template`: the rendered
 * template the email is sent with (with-template.ts has refused html and text beside it).
 */
export function prepareEmail(input: SendEmailInput, options: { prefix: string; now: Date; template?: TemplateFill | undefined }): PreparedEmail {
  const field = (name: string): string => fieldIn(options.prefix, name);
  const fill = options.template;
  // Explicit fields win over the template's.
  const from = input.from ?? fill?.from ?? undefined;
  const subject = input.subject ?? fill?.subject ?? undefined;
  if (from === undefined) throw validationError(field('from'), fill ? 'is required: the template has no from, give one' : 'is required');
  if (subject === undefined) throw validationError(field('subject'), fill ? 'is required: the template has no subject, give one' : 'is required');
  const subjectProblem = headerTextProblem(subject);
  if (subjectProblem) throw validationError(field('subject'), subjectProblem);
  const html = fill ? fill.html : input.html;
  const text = fill ? (fill.text ?? undefined) : input.text;
  if (html === undefined && text === undefined) throw validationError(field('html'), 'give html or text (or both), or a template');
  const to = mailboxes(input.to, field('to'));
  if (to.length === 0) throw validationError(field('to'), 'give at least one recipient');
  return {
    from: mailbox(from, field('from')),
    to,
    cc: mailboxes(input.cc, field('cc')),
    bcc: mailboxes(input.bcc, field('bcc')),
    replyTo: mailboxes(input.reply_to ?? fill?.replyTo ?? undefined, field('reply_to')),
    subject,
    html,
    text,
    headers: customHeaders(input.headers ?? {}, field('headers')),
    attachments: attachments(input.attachments ?? [], field('attachments')),
    tags: input.tags ?? [],
    scheduledAt: input.scheduled_at === undefined ? undefined : parseScheduledAt(input.scheduled_at, field('scheduled_at'), options.now),
    template: fill && { id: fill.templateId, variables: fill.variables },
    topicId: input.topic_id ?? undefined,
  };
}

function mailbox(text: string, field: string): Mailbox {
  const parsed = parseMailbox(text);
  if (!parsed.ok) throw validationError(field, parsed.reason);
  return parsed.mailbox;
}

function mailboxes(value: string | string[] | undefined, field: string): Mailbox[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [mailbox(value, field)];
  return value.map((text, i) => mailbox(text, `${field}[${i}]`));
}

function customHeaders(headers: Record<string, string>, field: string): { key: string; value: string }[] {
  const entries = Object.entries(headers);
  if (entries.length > 50) throw validationError(field, 'at most 50 custom headers');
  return entries.map(([key, value]) => {
    const nameProblem = headerTextProblem(key);
    if (nameProblem) throw validationError(field, `the header name ${JSON.stringify(key)} ${nameProblem}`);
    if (!HEADER_NAME.test(key)) throw validationError(field, `${JSON.stringify(key)} is not a header name (printable ASCII, no colon or space)`);
    if (isReservedHeader(key)) throw validationError(`${field}.${key}`, 'is set by Postgate or by its own field');
    const valueProblem = headerTextProblem(value);
    if (valueProblem) throw validationError(`${field}.${key}`, valueProblem);
    return { key, value };
  });
}

function attachments(list: NonNullable<SendEmailInput['attachments']>, field: string): PreparedAttachment[] {
  let total = 0;
  return list.map((a, i) => {
    const at = `${field}[${i}]`;
    if (a.path !== undefined) throw validationError(`${at}.path`, 'remote attachments are not fetched; send the file as base64 content');
    if (a.content === undefined) throw validationError(`${at}.content`, 'is required (base64)');
    const base64 = a.content.replace(/[\r\n]/g, '');
    if (base64.length % 4 !== 0 || !BASE64.test(base64)) throw validationError(`${at}.content`, 'is not base64');
    const content = Buffer.from(base64, 'base64');
    total += content.length;
    if (total > MAX_ATTACHMENT_BYTES) {
      throw new AppError('payload_too_large', `${field}: attachments may total at most ${MAX_ATTACHMENT_BYTES} bytes`, { field });
    }
    if (a.content_type !== undefined && !CONTENT_TYPE.test(a.content_type)) throw validationError(`${at}.content_type`, 'is not a media type like application/pdf');
    if (a.content_id !== undefined && !CONTENT_ID.test(a.content_id)) throw validationError(`${at}.content_id`, 'may hold only letters, digits and !#$%&\'*+/=?^_`{|}~.@-');
    return { filename: sanitiseFilename(a.filename), content, contentType: a.content_type, cid: a.content_id };
  });
}

/**
 * A file name safe to put in a Content-Disposition header and to save: the last path segment,
 * control characters (line breaks among them) replaced, no leading dots, at most 200 characters.
 */
export function sanitiseFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f"]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return cleaned === '' ? 'attachment' : cleaned;
}

// ISO 8601 with a zone: a time without one would mean something else on every server.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `scheduled_at` (and a reschedule's): ISO 8601 with a zone, or the words natural-time.ts reads;
 * at most 30 days ahead. A time in the past is returned as it is (the caller delivers at once).
 */
export function parseScheduledAt(value: string, field: string, now: Date): Date {
  const at = ISO_WITH_ZONE.test(value) ? new Date(value) : parseNaturalTime(value, now);
  if (at === undefined) throw validationError(field, `must be an ISO 8601 time with a zone, like 2030-01-01T09:00:00Z, or one of ${NATURAL_TIME_FORMS}`);
  if (Number.isNaN(at.getTime())) throw validationError(field, 'is not a valid time');
  if (at.getTime() - now.getTime() > MAX_SCHEDULE_MS) throw validationError(field, 'may be at most 30 days ahead');
  return at;
}
