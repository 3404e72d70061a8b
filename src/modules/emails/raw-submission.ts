import PostalMime, { addressParser, type Email } from 'postal-mime';
import { badTextPath } from '../../lib/storable-text.js';
import { AppError, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SendingDomain } from '../domains/service.js';
import { acceptEmails, type NewEmail } from './accept.js';
import { domainOf, formatMailbox, parseAddress } from './address.js';
import { emailRow, unique } from './build-email.js';
import { blindCopies, mailboxesOf, prepareSubmittedMessage } from './raw-message.js';
import type { EmailDeps } from './service.js';
import { assertAllowed, checkSender, type Sender } from './sending-rules.js';
import { submitWithTemplate, templateHeaders } from './smtp-template.js';

// A message submitted over SMTP, with its envelope. The domain rules apply to the envelope MAIL
// FROM and to the From header alike; the message is signed for the From domain. It is kept as
// submitted (raw-message.ts), unless it names a template (smtp-template.ts). Errors are AppErrors
// the SMTP edge maps to replies (validation_error -> 501/550, domain_* -> 550 5.7.1,
// payload_too_large -> 552).

/** An SMTP submission: the envelope (recipients from RCPT TO, so Bcc works) and the DATA bytes. */
export type RawSubmission = Readonly<{ mailFrom: string; recipients: readonly string[]; raw: Buffer }>;

/** Largest message accepted over SMTP (the SMTP edge advertises and enforces its own SIZE too). */
export const MAX_RAW_BYTES = 10 * 1024 * 1024;
const MAX_SMTP_RECIPIENTS = 100;

export async function submitRawEmail(deps: EmailDeps, sender: Sender, submission: RawSubmission): Promise<{ id: string }> {
  if (submission.raw.length > MAX_RAW_BYTES) throw new AppError('payload_too_large', `message: at most ${MAX_RAW_BYTES} bytes`);
  const mailFrom = parseAddress(submission.mailFrom);
  if (!mailFrom) throw validationError('mail_from', `${JSON.stringify(submission.mailFrom)} is not a valid sender address`);
  const recipients = envelopeRecipients(submission.recipients);
  // A NUL is not text (RFC 5322) and PostgreSQL cannot store it: a permanent refusal, not a 451 retried for days.
  if (submission.raw.includes(0)) throw new AppError('invalid_message', 'message: NUL characters are not allowed');
  const parsed = await PostalMime.parse(submission.raw);
  const domains = new Map<string, SendingDomain | undefined>();
  assertAllowed(await checkSender(deps.intake.sendingDomain, sender, domainOf(mailFrom), domains), 'mail_from');
  const template = templateHeaders(parsed);
  const email = template
    ? await submitWithTemplate(deps, sender, { parsed, template, mailFrom, recipients, domains, from: singleFrom(parsed) })
    : await keptAsSubmitted(deps, sender, { parsed, raw: submission.raw, mailFrom, recipients, domains });
  assertStorable(email.row);
  return acceptEmails(deps, [email], { id: email.row.id });
}

type Submitted = Readonly<{ parsed: Email; raw: Buffer; mailFrom: string; recipients: string[]; domains: Map<string, SendingDomain | undefined> }>;

async function keptAsSubmitted(deps: EmailDeps, sender: Sender, { parsed, raw, mailFrom, recipients, domains }: Submitted): Promise<NewEmail> {
  const authors = authorsOf(parsed);
  // Security: every address the message claims as its author or sender is checked, not only the first.
  let domain: SendingDomain | undefined;
  for (const [i, author] of authors.entries()) {
    const allowed = assertAllowed(await checkSender(deps.intake.sendingDomain, sender, domainOf(author.address), domains), author.field);
    if (i === 0) domain = allowed; // the From domain, which signs the message
  }
  const fromHeader = authors[0]!.address;
  const now = deps.clock.now();
  const id = newId('email', now.getTime());
  const message = prepareSubmittedMessage(raw, { messageId: `<${id}@${domainOf(fromHeader)}>`, date: now });
  const to = mailboxesOf(parsed.to);
  const cc = mailboxesOf(parsed.cc);
  return {
    row: emailRow(sender, id, now, domain, {
      source: 'smtp',
      fromAddress: formatMailbox({ name: parsed.from?.name || undefined, address: fromHeader }),
      toAddresses: to.map(formatMailbox),
      ccAddresses: cc.map(formatMailbox),
      bccAddresses: blindCopies(recipients, [...to, ...cc]),
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
}

/** Decoding can bring a NUL back (an encoded word, a base64 part, a \u0000 in JSON) into what the row stores. */
function assertStorable(row: NewEmail['row']): void {
  const { subject, html, text, fromAddress, toAddresses, ccAddresses, replyTo, templateVariables } = row;
  const fields = { subject, html, text, from: fromAddress, to: toAddresses, cc: ccAddresses, reply_to: replyTo, 'X-Postgate-Variables': templateVariables };
  const unstorable = badTextPath(fields, '');
  if (unstorable !== undefined) throw new AppError('invalid_message', `${unstorable}: NUL characters are not allowed, even encoded`);
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

/**
 * The From of a message naming a template: none (the template's from is used), or one header
 * with one address, formatted with its display name.
 */
function singleFrom(parsed: Email): string | undefined {
  if (!parsed.headers.some((h) => h.key === 'from')) return undefined;
  const authors = authorsOf(parsed).filter((a) => a.field === 'From');
  if (authors.length !== 1) throw validationError('From', 'a message naming a template has one From address');
  return formatMailbox({ name: parsed.from?.name || undefined, address: authors[0]!.address });
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
