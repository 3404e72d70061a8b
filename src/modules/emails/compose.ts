import MailComposer from 'nodemailer/lib/mail-composer';
import { LINE_BREAK, type Mailbox } from './address.js';
import type { PreparedEmail } from './prepare.js';

// The MIME message of an email sent as JSON, built once at acceptance so the worker treats JSON
// and SMTP mail alike: sign the stored bytes, send them. Bcc never appears in the headers; its
// recipients are in the envelope only.

const address = (m: Mailbox): { name: string; address: string } => ({ name: m.name ?? '', address: m.address });

export async function composeMessage(email: PreparedEmail, options: { messageId: string; date: Date }): Promise<Buffer> {
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
