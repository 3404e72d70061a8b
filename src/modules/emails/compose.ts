import MailComposer from 'nodemailer/lib/mail-composer';
import type MimeNode from 'nodemailer/lib/mime-node';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { LINE_BREAK, type Mailbox } from './address.js';
import type { PreparedEmail } from './prepare.js';

// The MIME message of an email sent as JSON. It is composed at delivery, not at acceptance:
// composing was half the CPU of an acceptance, and the 200 promises that the email is stored,
// not that its bytes exist. Acceptance stores a `Composition` (what the row does not already
// hold); the worker composes it, then signs and sends as it does the bytes of SMTP mail. Bcc
// never appears in the headers; its recipients are in the envelope only.
//
// nodemailer builds the MIME tree and every header (encoding, folding); its own output step,
// `build()`, streams the tree through a stream pipeline per node, which cost more CPU than the
// rest of an acceptance at thousands of emails a second. `serialise` writes the same tree in
// one synchronous pass (compose.test.ts checks it is byte for byte what `build()` makes); what
// it does not cover (quoted-printable text over 64 KiB, which the encoder takes in slices, or a
// quoted-printable part that is not text) goes through `build()`.

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
  const root = mimeTree(email, options);
  return serialise(root) ?? root.build();
}

/** nodemailer's MIME tree of the email, not yet written out. */
export function mimeTree(email: MessageFields, options: { messageId: string; date: Date }): MimeNode {
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
  return composer.compile();
}

const QP_SLICE = 64 * 1024;

/** What `serialise` reads of a MimeNode beyond its published type (nodemailer 10's fields). */
type Node = MimeNode & { _raw?: unknown; _transforms: unknown[]; _processFuncs: unknown[] };

/** The message as `build()` would make it, or undefined when a part needs the streaming path. */
export function serialise(root: MimeNode): Buffer | undefined {
  // Decided before anything is written: buildHeaders() adds headers to the nodes it is called on.
  const encodings = new Map<MimeNode, string | false>();
  if (!writable(root as Node, encodings)) return undefined;
  const parts: (string | Buffer)[] = [];
  write(root as Node, encodings, parts);
  const out = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf-8') : p)));
  // build()'s last stage: the message ends with a line break.
  const last = out.length > 0 ? out[out.length - 1] : undefined;
  if (last === 0x0a) return out;
  return Buffer.concat([out, Buffer.from(last === 0x0d ? '\n' : '\r\n')]);
}

/** Only string or Buffer content, nothing raw or transformed, quoted-printable of one slice at most. */
function writable(node: Node, encodings: Map<MimeNode, string | false>): boolean {
  if (node._raw || node._transforms.length > 0 || node._processFuncs.length > 0) return false;
  const content = node.content;
  if (content && typeof content !== 'string' && !Buffer.isBuffer(content)) return false;
  // getTransferEncoding() reads headers through a costly key normalisation: once per node.
  const encoding: string | false = node.getTransferEncoding();
  encodings.set(node, encoding);
  // The encoder takes larger input in slices; only one slice is mirrored here.
  if (encoding === 'quoted-printable' && (typeof content === 'string' ? Buffer.byteLength(content) : (content?.length ?? 0)) > QP_SLICE) return false;
  // Not `multipart`: buildHeaders() sets it (and the boundary) from the Content-Type.
  return node.childNodes.every((child) => writable(child as Node, encodings));
}

/** MimeNode.stream() without streams: headers, the content in its transfer encoding, the children. */
function write(node: Node, encodings: Map<MimeNode, string | false>, parts: (string | Buffer)[]): void {
  const content = node.content as string | Buffer | undefined;
  const encoding = encodings.get(node);
  parts.push(`${node.buildHeaders()}\r\n\r\n`);
  if (content) {
    if (encoding === 'base64') parts.push(base64Lines(content));
    else if (encoding === 'quoted-printable') parts.push(quotedPrintable(content, !/^text\//i.test(node.contentType ?? '')));
    else parts.push(content);
  }
  if (!node.multipart) return;
  for (const [i, child] of node.childNodes.entries()) {
    parts.push(`${i > 0 ? '\r\n' : ''}--${String(node.boundary)}\r\n`);
    write(child as Node, encodings, parts);
  }
  parts.push(`\r\n--${String(node.boundary)}--\r\n`);
}

/**
 * Quoted-printable as nodemailer's encoder writes one slice: the trailing spaces and tabs (and,
 * `binary`, CRs) are held back and encoded after the rest, each piece wrapped onto the line left
 * open before it. `binary` is nodemailer's choice for a node without a text contentType.
 */
function quotedPrintable(content: string | Buffer, binary: boolean): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf-8') : content;
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09 || (binary && bytes[end - 1] === 0x0d))) end--;
  let done = '';
  let line = '';
  for (const piece of [bytes.subarray(0, end), bytes.subarray(end)]) {
    if (piece.length === 0) continue;
    const wrapped = qpWrap(line + (binary ? qpBinary(piece) : qpEncode(piece)), 76);
    const lastBreak = wrapped.lastIndexOf('\n');
    done += wrapped.slice(0, lastBreak + 1);
    line = wrapped.slice(lastBreak + 1);
  }
  return done + line;
}

/**
 * Binary quoted-printable: a CR or LF that is not part of a CRLF is data, written =0D or =0A;
 * the rest is encoded as text (whitespace before a break is encoded either way).
 */
function qpBinary(piece: Buffer): string {
  let out = '';
  let from = 0;
  for (const match of piece.toString('latin1').matchAll(/\r(?!\n)|(?<!\r)\n/g)) {
    out += qpEncode(piece.subarray(from, match.index)) + (match[0] === '\r' ? '=0D' : '=0A');
    from = match.index + 1;
  }
  return out + qpEncode(piece.subarray(from));
}

/** Base64 in lines of 76 characters joined by CRLF, without a final line break (nodemailer's encoder). */
function base64Lines(content: string | Buffer): string {
  const b64 = (typeof content === 'string' ? Buffer.from(content, 'utf-8') : content).toString('base64');
  if (b64.length <= 76) return b64;
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}
