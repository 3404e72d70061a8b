import MailComposer from 'nodemailer/lib/mail-composer';
import { LINE_BREAK, type Mailbox } from './address.js';
import type { PreparedEmail } from './prepare.js';

// The MIME message of an email sent as JSON. It is composed at delivery, not at acceptance:
// composing was half the CPU of an acceptance, and the 200 promises that the email is stored,
// not that its bytes exist. Acceptance stores a `Composition` (what the row does not already
// hold); the worker composes it with nodemailer's MailComposer (`compile().build()`, its public
// API: the MIME tree, every header's encoding and folding), then signs and sends it as it does
// the bytes of SMTP mail. Bcc never appears in the headers; its recipients are in the envelope only.

const address = (m: Mailbox): { name: string; address: string } => ({ name: m.name ?? '', address: m.address });

/** What composing reads of an email. */
export type MessageFields = Pick<PreparedEmail, 'from' | 'to' | 'cc' | 'replyTo' | 'subject' | 'html' | 'text' | 'headers' | 'attachments'>;

/**
 * An email sent as JSON, as stored at acceptance for composing at delivery: the fields its row
 * does not hold (the row keeps subject, html, text and the Message-ID), as JSON.
 */
export type Composition = Readonly<{
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  replyTo: Mailbox[];
  headers: { key: string; value: string }[];
  /** Content in base64. */
  attachments: { filename: string; content: string; contentType: string | null; cid: string | null }[];
  /** The Date header (ISO 8601): the acceptance, or the schedule. */
  date: string;
}>;

export function compositionOf(email: PreparedEmail, date: Date): Composition {
  return {
    from: email.from,
    to: email.to,
    cc: email.cc,
    replyTo: email.replyTo,
    headers: email.headers,
    attachments: email.attachments.map((a) => ({
      filename: a.filename,
      content: a.content.toString('base64'),
      contentType: a.contentType ?? null,
      cid: a.cid ?? null,
    })),
    date: date.toISOString(),
  };
}

/** The stored parts of a JSON email, as the worker reads them back. */
export type StoredComposition = Readonly<{
  composition: Composition;
  subject: string;
  html: string | null;
  text: string | null;
  messageId: string;
}>;

/** The message of a stored composition: the same bytes composing at acceptance made. */
export function composeStored(stored: StoredComposition): Promise<Buffer> {
  const { composition: c } = stored;
  const name = (m: Mailbox): Mailbox => ({ name: m.name ?? undefined, address: m.address });
  return composeMessage(
    {
      from: name(c.from),
      to: c.to.map(name),
      cc: c.cc.map(name),
      replyTo: c.replyTo.map(name),
      subject: stored.subject,
      html: stored.html ?? undefined,
      text: stored.text ?? undefined,
      headers: c.headers,
      attachments: c.attachments.map((a) => ({
        filename: a.filename,
        content: Buffer.from(a.content, 'base64'),
        contentType: a.contentType ?? undefined,
        cid: a.cid ?? undefined,
      })),
    },
    { messageId: stored.messageId, date: new Date(c.date) },
  );
}

export async function composeMessage(email: MessageFields, options: { messageId: string; date: Date }): Promise<Buffer> {
  // Defence in depth: prepareEmail refused these already; a header line must never break here.
  for (const { key, value } of email.headers) {
    if (LINE_BREAK.test(key) || LINE_BREAK.test(value)) throw new Error('header with a line break reached the composer');
  }
  const composer = new MailComposer({
    from: address(email.from),
    to: email.to.map(address),
    cc: email.cc.length > 0 ? email.cc.map(address) : undefined,
    replyTo: email.replyTo.length > 0 ? email.replyTo.map(address) : undefined,
    subject: email.subject,
    text: email.text,
    html: email.html,
    headers: email.headers,
    attachments: email.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType, cid: a.cid })),
    messageId: options.messageId,
    date: options.date,
    // Security: content comes only from the request; never read a file or a URL on its behalf.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer.compile().build();
}
