import { and, eq, ne, type SQL } from 'drizzle-orm';
import { detectMimeType } from 'nodemailer/lib/mime-funcs';
import PostalMime from 'postal-mime';
import type { Db } from '../../db/client.js';
import { emailMessages, emails } from '../../db/schema.js';
import { bytesOrNullOf } from '../delivery/sql.js';
import type { Composition } from './compose.js';
import { sanitiseFilename } from './prepare.js';

// The attachments of an accepted email, read from what was stored at acceptance: the composition
// of an email sent as JSON (compose.ts), or the message submitted over SMTP, parsed with
// postal-mime. Nothing is stored for them: an attachment's id is its email's id and its place in
// the message (`eatt_<email>_<n>`), stable because an accepted email's content never changes.

export type StoredAttachment = Readonly<{
  id: string;
  filename: string;
  contentType: string;
  disposition: 'inline' | 'attachment';
  /** Without angle brackets, as POST /emails takes it. */
  contentId: string | undefined;
  content: Buffer;
}>;

const ID_BODY = '[0-9a-hjkmnp-tv-z]{26}';
const ATTACHMENT_ID = new RegExp(`^eatt_(${ID_BODY})_(0|[1-9]\\d{0,3})$`);
// A media type fit for a Content-Type header; anything else a message claims is served as bytes.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

export function attachmentIdOf(emailId: string, index: number): string {
  return `eatt_${emailId.slice('em_'.length)}_${index}`;
}

/** The email and the place an attachment id names, or undefined when it is not such an id. */
export function parseAttachmentId(id: string): { emailId: string; index: number } | undefined {
  const match = ATTACHMENT_ID.exec(id);
  return match ? { emailId: `em_${match[1]}`, index: Number(match[2]) } : undefined;
}

/** The emails a signed link may reach (it is its own credential): any but Postgate's own. */
export function linkableEmails(): SQL {
  return ne(emails.source, 'system');
}

/** The attachments of the email `emailId` within `scope`, in message order; undefined: no such email there. */
export async function loadAttachments(db: Db, emailId: string, scope: SQL): Promise<StoredAttachment[] | undefined> {
  const [row] = await db
    .select({ composition: emailMessages.composition, raw: bytesOrNullOf(emailMessages.raw) })
    .from(emails)
    .innerJoin(emailMessages, eq(emailMessages.emailId, emails.id))
    .where(and(eq(emails.id, emailId), scope))
    .limit(1);
  if (!row) return undefined;
  if (row.raw) return fromRaw(emailId, row.raw);
  return fromComposition(emailId, row.composition as Composition | null);
}

/**
 * As the worker composes them (nodemailer's MailComposer): a missing type is guessed from the
 * file name, and an image with a Content-ID or a message/* part is inline; so what is listed is
 * what the recipients got.
 */
function fromComposition(emailId: string, composition: Composition | null): StoredAttachment[] {
  return (composition?.attachments ?? []).map((a, index) => {
    const contentType = (a.contentType ?? detectMimeType(a.filename)).toLowerCase();
    const inline = contentType.startsWith('message/') || (contentType.startsWith('image/') && a.cid !== null);
    return {
      id: attachmentIdOf(emailId, index),
      // Sanitised at acceptance already; again here, since the name goes into a download's headers.
      filename: sanitiseFilename(a.filename),
      contentType: safeMediaType(contentType),
      disposition: inline ? 'inline' : 'attachment',
      contentId: a.cid ?? undefined,
      content: Buffer.from(a.content, 'base64'),
    };
  });
}

/** Every part postal-mime counts as an attachment, inline images among them, in message order. */
async function fromRaw(emailId: string, raw: Buffer): Promise<StoredAttachment[]> {
  const parsed = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
  return parsed.attachments.map((a, index) => ({
    id: attachmentIdOf(emailId, index),
    filename: sanitiseFilename(a.filename ?? undefined),
    contentType: safeMediaType(a.mimeType.toLowerCase()),
    disposition: a.disposition === 'inline' ? 'inline' : 'attachment',
    contentId: a.contentId?.replace(/^<|>$/g, '') || undefined,
    content: bytesOf(a.content),
  }));
}

function bytesOf(content: ArrayBuffer | Uint8Array | string): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'base64');
  return content instanceof Uint8Array ? Buffer.from(content.buffer, content.byteOffset, content.byteLength) : Buffer.from(content);
}

function safeMediaType(type: string): string {
  return MEDIA_TYPE.test(type) ? type : 'application/octet-stream';
}
