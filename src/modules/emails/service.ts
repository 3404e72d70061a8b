import PostalMime, { addressParser, type Address, type Email } from 'postal-mime';
import { badTextPath } from '../../lib/storable-text.js';
import { AppError, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SendingDomain } from '../domains/service.js';
import { acceptEmails, earlierAnswer, type AcceptDeps, type NewEmail } from './accept.js';
import { domainOf, formatMailbox, parseAddress, type Mailbox } from './address.js';
import { compositionOf } from './compose.js';
import { requestHash, type IdempotencyRequest } from './idempotency.js';
import { prepareEmail, type PreparedEmail } from './prepare.js';
import { prepareSubmittedMessage } from './raw-message.js';
import type { SendBatchInput, SendEmailInput } from './schemas.js';
import { assertAllowed, checkSender, type Sender } from './sending-rules.js';

// Sending, shared by every edge: HTTP (JSON), SMTP (a raw message and its envelope) and later
// the dashboard. Each entry point validates, applies the sending rules, builds the message and
// accepts it durably (accept.ts); it never sees a request or a session.

export type EmailDeps = AcceptDeps;

export type SendOptions = Readonly<{ idempotencyKey?: string | undefined }>;

/** An SMTP submission: the envelope (recipients from RCPT TO, so Bcc works) and the DATA bytes. */
export type RawSubmission = Readonly<{ mailFrom: string; recipients: readonly string[]; raw: Buffer }>;

/** Largest message accepted over SMTP (the SMTP edge advertises and enforces its own SIZE too). */
export const MAX_RAW_BYTES = 10 * 1024 * 1024;
const MAX_SMTP_RECIPIENTS = 100;

export async function sendEmail(deps: EmailDeps, sender: Sender, input: SendEmailInput, options: SendOptions = {}): Promise<{ id: string }> {
  const idempotency = idempotencyFor(sender, 'POST /emails', input, options);
  const earlier = await earlierAnswer<{ id: string }>(deps, idempotency);
  if (earlier) return earlier;
  const now = deps.clock.now();
  const prepared = prepareEmail(input, { prefix: '', now });
  const email = await buildEmail(deps, sender, prepared, { field: 'from', domains: new Map() });
  return acceptEmails(deps, [email], { id: email.row.id }, idempotency);
}

/** All validated before anything is stored; all stored in one transaction, or none. */
export async function sendEmailBatch(deps: EmailDeps, sender: Sender, inputs: SendBatchInput, options: SendOptions = {}): Promise<{ data: { id: string }[] }> {
  const idempotency = idempotencyFor(sender, 'POST /emails/batch', inputs, options);
  const earlier = await earlierAnswer<{ data: { id: string }[] }>(deps, idempotency);
  if (earlier) return earlier;
  const now = deps.clock.now();
  const prepared = inputs.map((input, i) => prepareEmail(input, { prefix: `[${i}]`, now }));
  const domains = new Map<string, SendingDomain | undefined>();
  const batch: NewEmail[] = [];
  for (const [i, email] of prepared.entries()) batch.push(await buildEmail(deps, sender, email, { field: `[${i}].from`, domains }));
  return acceptEmails(deps, batch, { data: batch.map((e) => ({ id: e.row.id })) }, idempotency);
}

/**
 * A message submitted over SMTP. The domain rules apply to the envelope MAIL FROM and to the
 * From header alike; the message is signed for the From domain. Errors are AppErrors the SMTP
 * edge maps to replies (validation_error -> 501/550, domain_* -> 550 5.7.1, payload_too_large -> 552).
 */
export async function submitRawEmail(deps: EmailDeps, sender: Sender, submission: RawSubmission): Promise<{ id: string }> {
  if (submission.raw.length > MAX_RAW_BYTES) throw new AppError('payload_too_large', `message: at most ${MAX_RAW_BYTES} bytes`);
  const mailFrom = parseAddress(submission.mailFrom);
  if (!mailFrom) throw validationError('mail_from', `${JSON.stringify(submission.mailFrom)} is not a valid sender address`);
  const recipients = envelopeRecipients(submission.recipients);
  // A NUL is not text (RFC 5322) and PostgreSQL cannot store it: a permanent refusal, not a 451 retried for days.
  if (submission.raw.includes(0)) throw new AppError('invalid_message', 'message: NUL characters are not allowed');
  const parsed = await PostalMime.parse(submission.raw);
  const authors = authorsOf(parsed);
  const domains = new Map<string, SendingDomain | undefined>();
  assertAllowed(await checkSender(deps.intake.sendingDomain, sender, domainOf(mailFrom), domains), 'mail_from');
  // Security: every address the message claims as its author or sender is checked, not only the first.
  let domain: SendingDomain | undefined;
  for (const [i, author] of authors.entries()) {
    const allowed = assertAllowed(await checkSender(deps.intake.sendingDomain, sender, domainOf(author.address), domains), author.field);
    if (i === 0) domain = allowed; // the From domain, which signs the message
  }
  const fromHeader = authors[0]!.address;

  const now = deps.clock.now();
  const id = newId('email', now.getTime());
  const message = prepareSubmittedMessage(submission.raw, { messageId: `<${id}@${domainOf(fromHeader)}>`, date: now });
  const to = mailboxesOf(parsed.to);
  const cc = mailboxesOf(parsed.cc);
  const shown = new Set([...to, ...cc].map((m) => m.address.toLowerCase()));
  const email: NewEmail = {
    row: emailRow(sender, id, now, domain, {
      source: 'smtp',
      fromAddress: formatMailbox({ name: parsed.from?.name || undefined, address: fromHeader }),
      toAddresses: to.map(formatMailbox),
      ccAddresses: cc.map(formatMailbox),
      // Recipients the headers do not show were blind copies.
      bccAddresses: recipients.filter((r) => !shown.has(r.toLowerCase())),
      replyTo: mailboxesOf(parsed.replyTo).map(formatMailbox),
      subject: parsed.subject ?? '',
      html: parsed.html ?? null,
      text: parsed.text ?? null,
      tags: [],
      messageId: message.messageId,
      envelopeFrom: mailFrom,
      recipients,
      scheduledAt: null,
    }),
    message: { raw: message.raw },
  };
  // Decoding can bring a NUL back (an encoded word, a base64 part) into what the row stores.
  const { subject, html, text, fromAddress, toAddresses, ccAddresses, replyTo } = email.row;
  const unstorable = badTextPath({ subject, html, text, from: fromAddress, to: toAddresses, cc: ccAddresses, reply_to: replyTo }, '');
  if (unstorable !== undefined) throw new AppError('invalid_message', `${unstorable}: NUL characters are not allowed, even encoded`);
  return acceptEmails(deps, [email], { id });
}

type Author = { address: string; field: string };

/**
 * The addresses a message names as its author (From) and sender (Sender), each parsed, with the
 * header it came from. Exactly one From header (RFC 5322 section 3.6); any address in it that is
 * not valid refuses the message rather than being skipped.
 */
function authorsOf(parsed: Email): Author[] {
  const fromHeaders = parsed.headers.filter((h) => h.key === 'from');
  if (fromHeaders.length !== 1) {
    throw new AppError('invalid_message', `From: the message needs exactly one From header (it has ${fromHeaders.length})`);
  }
  const authors: Author[] = [];
  for (const header of parsed.headers) {
    if (header.key !== 'from' && header.key !== 'sender') continue;
    const field = header.key === 'from' ? 'From' : 'Sender';
    const listed = addressParser(header.value).flatMap((entry) => ('group' in entry && entry.group ? entry.group : [entry]));
    if (listed.length === 0) throw new AppError('invalid_message', `${field}: names no address`);
    for (const mailbox of listed) {
      const address = mailbox.address ? parseAddress(mailbox.address) : undefined;
      if (!address) throw new AppError('invalid_message', `${field}: ${JSON.stringify(mailbox.address ?? '')} is not a valid address`);
      authors.push({ address, field });
    }
  }
  // From comes first: the message is signed for its first address's domain.
  return authors.sort((a, b) => (a.field === b.field ? 0 : a.field === 'From' ? -1 : 1));
}

function idempotencyFor(sender: Sender, kind: string, body: unknown, options: SendOptions): IdempotencyRequest | undefined {
  if (options.idempotencyKey === undefined) return undefined;
  return { organizationId: sender.organizationId, key: options.idempotencyKey, requestHash: requestHash(kind, body) };
}

async function buildEmail(
  deps: EmailDeps,
  sender: Sender,
  email: PreparedEmail,
  context: { field: string; domains: Map<string, SendingDomain | undefined> },
): Promise<NewEmail> {
  const fromDomain = domainOf(email.from.address);
  const domain = assertAllowed(await checkSender(deps.intake.sendingDomain, sender, fromDomain, context.domains), context.field);
  const now = deps.clock.now();
  const id = newId('email', now.getTime());
  const messageId = `<${id}@${fromDomain}>`;
  const future = email.scheduledAt && email.scheduledAt > now ? email.scheduledAt : undefined;
  return {
    row: emailRow(sender, id, now, domain, {
      source: sender.system ? 'system' : 'api',
      fromAddress: formatMailbox(email.from),
      toAddresses: email.to.map(formatMailbox),
      ccAddresses: email.cc.map(formatMailbox),
      bccAddresses: email.bcc.map(formatMailbox),
      replyTo: email.replyTo.map(formatMailbox),
      subject: email.subject,
      html: email.html ?? null,
      text: email.text ?? null,
      tags: email.tags,
      messageId,
      envelopeFrom: email.from.address,
      recipients: unique([...email.to, ...email.cc, ...email.bcc].map((m) => m.address)),
      scheduledAt: email.scheduledAt ?? null,
    }),
    // Composed by the worker at delivery (compose.ts).
    message: { composition: compositionOf(email, future ?? now) },
  };
}

type EmailRow = NewEmail['row'];

/** An email's row: who sends it, from which domain and when, then what the edge parsed. */
function emailRow(
  sender: Sender,
  id: string,
  now: Date,
  domain: SendingDomain | undefined,
  fields: Omit<EmailRow, 'id' | 'organizationId' | 'projectId' | 'apiKeyId' | 'domainId' | 'mode' | 'createdAt'>,
): EmailRow {
  // The spread goes last: on Node 20 (V8 11.3), each property written after a leading spread
  // made a new hidden class for every object, about 40 µs per email row.
  return {
    id,
    organizationId: sender.organizationId,
    projectId: sender.projectId,
    apiKeyId: sender.keyId ?? null,
    domainId: domain?.id ?? null,
    mode: sender.mode,
    createdAt: now,
    ...fields,
  };
}

function envelopeRecipients(list: readonly string[]): string[] {
  if (list.length === 0) throw validationError('recipients', 'give at least one recipient');
  if (list.length > MAX_SMTP_RECIPIENTS) throw validationError('recipients', `at most ${MAX_SMTP_RECIPIENTS} recipients`);
  return unique(
    list.map((text, i) => {
      const address = parseAddress(text);
      if (!address) throw validationError(`recipients[${i}]`, `${JSON.stringify(text)} is not a valid email address`);
      return address;
    }),
  );
}

/** Mailboxes of a parsed header (groups flattened); addresses that do not parse are left out. */
function mailboxesOf(list: Address[] | undefined): Mailbox[] {
  const result: Mailbox[] = [];
  for (const entry of list ?? []) {
    for (const m of 'group' in entry && entry.group ? entry.group : [entry]) {
      const address = m.address ? parseAddress(m.address) : undefined;
      if (address) result.push({ name: m.name || undefined, address });
    }
  }
  return result;
}

/** Case-insensitively unique, first spelling kept. */
function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
