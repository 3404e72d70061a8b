import { AppError } from '../../lib/errors.js';
import { acceptEmails, earlierAnswer, type AcceptDeps, type NewEmail } from './accept.js';
import { bodyIssueError, type BodyIssue } from './body-issues.js';
import { buildEmail, newEmailOf, preparedWithTemplate, type BuildContext } from './build-email.js';
import { requestHash, type IdempotencyRequest } from './idempotency.js';
import type { PreparedEmail } from './prepare.js';
import { sendEmailBody, type CreatedBatch, type SendBatchInput, type SendEmailInput } from './schemas.js';
import type { Sender } from './sending-rules.js';
import { templateLoader, type TemplateSource } from './with-template.js';

// Sending JSON emails, shared by every edge that sends them (HTTP, and Postgate's own mail):
// each entry point validates, renders a template if asked, applies the sending rules, builds the
// email (build-email.ts) and accepts it durably (accept.ts); it never sees a request or a session.
// SMTP submissions come in through raw-submission.ts.

export type EmailDeps = AcceptDeps & Readonly<{ templates: TemplateSource }>;

export type SendOptions = Readonly<{ idempotencyKey?: string | undefined }>;

export async function sendEmail(deps: EmailDeps, sender: Sender, input: SendEmailInput, options: SendOptions = {}): Promise<{ id: string }> {
  const idempotency = idempotencyFor(sender, 'POST /emails', input, options);
  const earlier = await earlierAnswer<{ id: string }>(deps, idempotency);
  if (earlier) return earlier;
  const email = await newEmailOf(deps, sender, input, contextFor(deps, sender, ''));
  return acceptEmails(deps, [email], { id: email.row.id }, idempotency);
}

/** Strict batch validation: all validated before anything is stored; all stored in one transaction, or none. */
export async function sendEmailBatch(deps: EmailDeps, sender: Sender, inputs: SendBatchInput, options: SendOptions = {}): Promise<CreatedBatch> {
  const idempotency = idempotencyFor(sender, 'POST /emails/batch', inputs, options);
  const earlier = await earlierAnswer<CreatedBatch>(deps, idempotency);
  if (earlier) return earlier;
  const context = contextFor(deps, sender, '');
  const prepared: PreparedEmail[] = [];
  // Every email's fields first, then the sending rules: the first invalid email is named before any domain refusal.
  for (const [i, input] of inputs.entries()) prepared.push(await preparedWithTemplate(input, { ...context, prefix: `[${i}]` }));
  const batch: NewEmail[] = [];
  for (const [i, email] of prepared.entries()) batch.push(await buildEmail(deps, sender, email, { field: `[${i}].from`, domains: context.domains }));
  return acceptEmails(deps, batch, { data: batch.map((e) => ({ id: e.row.id })) }, idempotency);
}

/**
 * Permissive batch validation (`x-batch-validation: permissive`): each item is checked alone,
 * its shape included (`items` is the body as sent); the valid ones are stored together in one
 * transaction and answered in `data`, in order; every refused one is in `errors` with its index
 * and the message a single send would have given (fields named without the `[i]` prefix). None
 * valid is still a 200: `data: []` and the errors, and nothing stored (no Idempotency-Key either,
 * so the same request is checked, and answered, again).
 */
export async function sendEmailBatchPermissive(deps: EmailDeps, sender: Sender, items: readonly unknown[], options: SendOptions = {}): Promise<Required<CreatedBatch>> {
  // The mode is part of what the key stands for: the same body sent strict is another request.
  const idempotency = idempotencyFor(sender, 'POST /emails/batch (permissive)', items, options);
  const earlier = await earlierAnswer<Required<CreatedBatch>>(deps, idempotency);
  if (earlier) return earlier;
  const context = contextFor(deps, sender, '');
  const batch: NewEmail[] = [];
  const errors: { index: number; message: string }[] = [];
  for (const [index, item] of items.entries()) {
    try {
      batch.push(await newEmailOf(deps, sender, parseItem(item), context));
    } catch (error) {
      // A refusal of this item (its fields, its domain, its template); a fault of ours fails the request.
      if (!(error instanceof AppError)) throw error;
      errors.push({ index, message: error.message });
    }
  }
  return acceptEmails(deps, batch, { data: batch.map((e) => ({ id: e.row.id })), errors }, idempotency);
}

function parseItem(item: unknown): SendEmailInput {
  const parsed = sendEmailBody.safeParse(item);
  if (!parsed.success) throw bodyIssueError(parsed.error.issues[0] as BodyIssue);
  return parsed.data;
}

export function contextFor(deps: EmailDeps, sender: Sender, prefix: string): BuildContext {
  return { prefix, now: deps.clock.now(), domains: new Map(), templates: templateLoader(deps.templates, sender) };
}

function idempotencyFor(sender: Sender, kind: string, body: unknown, options: SendOptions): IdempotencyRequest | undefined {
  if (options.idempotencyKey === undefined) return undefined;
  return { organizationId: sender.organizationId, key: options.idempotencyKey, requestHash: requestHash(kind, body) };
}
