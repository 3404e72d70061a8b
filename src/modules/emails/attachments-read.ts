import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound, validationError } from '../../lib/errors.js';
import type { Cursor, ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import { linkableEmails, loadAttachments, parseAttachmentId, type StoredAttachment } from './attachments.js';
import { emailsReadableBy } from './queries.js';
import type { AttachmentLinks } from './attachments-links.js';
import type { AttachmentData, AttachmentObject, DownloadLink } from './change-schemas.js';

// GET /emails/{id}/attachments[/{attachment_id}] and the signed download behind each one's
// `download_url`. A list is in message order (the first attachment first), paged by the
// attachment ids as cursors, as Resend's lists are.

export type AttachmentReadDeps = Readonly<{ db: Db; clock: Clock; links: AttachmentLinks }>;

/** What a download answers: the bytes and how to label them. */
export type AttachmentFile = Readonly<{ filename: string; contentType: string; content: Buffer }>;

export async function listAttachments(deps: AttachmentReadDeps, actor: Actor, emailId: string, cursor: Cursor): Promise<ListPage<AttachmentData>> {
  const all = await readable(deps, actor, emailId);
  const { start, end } = pageBounds(all.length, emailId, cursor);
  const now = deps.clock.now();
  return {
    object: 'list',
    has_more: cursor.direction === 'after' ? end < all.length : start > 0,
    data: all.slice(start, end).map((a) => present(deps, a, now)),
  };
}

export async function getAttachment(deps: AttachmentReadDeps, actor: Actor, emailId: string, attachmentId: string): Promise<AttachmentObject> {
  const all = await readable(deps, actor, emailId);
  const found = all.find((a) => a.id === attachmentId);
  if (!found) throw notFound('Attachment');
  return { object: 'attachment', ...present(deps, found, deps.clock.now()) };
}

/**
 * The attachment a signed link names. An altered or foreign link and an expired one are both
 * 400 `bad_request` (as tracking links are), with messages that tell them apart; a link to an
 * email that no longer exists (its project was deleted) is 404.
 */
export async function downloadAttachment(deps: AttachmentReadDeps, link: DownloadLink): Promise<AttachmentFile> {
  const checked = deps.links.check(link, deps.clock.now());
  if (!checked.ok) {
    throw new AppError(
      'bad_request',
      checked.reason === 'expired'
        ? 'This download link has expired: links work for one hour; ask the API for the attachment again for a new one'
        : 'This download link is not valid: it was altered, or not made by this Postgate',
    );
  }
  const named = parseAttachmentId(checked.attachmentId);
  const found = named && (await loadAttachments(deps.db, named.emailId, linkableEmails()))?.[named.index];
  if (!found) throw notFound('Attachment');
  return { filename: found.filename, contentType: found.contentType, content: found.content };
}

async function readable(deps: AttachmentReadDeps, actor: Actor, emailId: string): Promise<StoredAttachment[]> {
  const all = await loadAttachments(deps.db, emailId, emailsReadableBy(actor));
  if (!all) throw notFound('Email');
  return all;
}

/** The slice [start, end) of the email's attachments a cursor asks for. */
function pageBounds(count: number, emailId: string, cursor: Cursor): { start: number; end: number } {
  if (cursor.id === undefined) return { start: 0, end: Math.min(count, cursor.limit) };
  const named = parseAttachmentId(cursor.id);
  if (!named || named.emailId !== emailId) throw validationError(`querystring.${cursor.direction}`, 'is not the id of an attachment of this email');
  if (cursor.direction === 'after') return { start: named.index + 1, end: Math.min(count, named.index + 1 + cursor.limit) };
  const end = Math.min(count, named.index);
  return { start: Math.max(0, end - cursor.limit), end };
}

function present(deps: AttachmentReadDeps, a: StoredAttachment, now: Date): AttachmentData {
  const link = deps.links.sign(a.id, now);
  return {
    id: a.id,
    filename: a.filename,
    size: a.content.length,
    content_type: a.contentType,
    content_disposition: a.disposition,
    ...(a.contentId === undefined ? {} : { content_id: a.contentId }),
    download_url: link.url,
    expires_at: link.expiresAt.toISOString(),
  };
}
