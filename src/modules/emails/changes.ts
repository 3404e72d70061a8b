import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import type { Cursor, ListPage } from '../../lib/pagination.js';
import type { SecretBox } from '../accounts/secret-box.js';
import type { Actor } from '../api-keys/principal.js';
import type { Wakeup } from '../queue/wakeup.js';
import { createAttachmentLinks } from './attachments-links.js';
import { downloadAttachment, getAttachment, listAttachments, type AttachmentFile } from './attachments-read.js';
import type { AttachmentData, AttachmentObject, DownloadLink, EmailRef, RescheduleInput } from './change-schemas.js';
import { cancelEmail, rescheduleEmail } from './changes-schedule.js';

// Changing an accepted email (issue 24): reschedule and cancel it while it is still scheduled
// (changes-schedule.ts), and read its attachments with signed, expiring download links
// (attachments-read.ts). docs/email-changes.md describes the behaviour.

export type EmailChangeDeps = Readonly<{
  db: Db;
  clock: Clock;
  /** Woken when a reschedule makes an email due now. */
  queue: Wakeup;
  /** Signs download links (its `attachment-download` purpose). */
  box: SecretBox;
  /** POSTGATE_PUBLIC_URL: where download links point. */
  publicUrl: string;
}>;

export type EmailChangeService = Readonly<{
  /** PATCH /emails/{id}: a new `scheduled_at` (409 email_not_scheduled once it is no longer scheduled). */
  reschedule(actor: Actor, id: string, input: RescheduleInput): Promise<EmailRef>;
  /** POST /emails/{id}/cancel (409 email_not_scheduled once it is no longer scheduled). */
  cancel(actor: Actor, id: string): Promise<EmailRef>;
  listAttachments(actor: Actor, emailId: string, cursor: Cursor): Promise<ListPage<AttachmentData>>;
  getAttachment(actor: Actor, emailId: string, attachmentId: string): Promise<AttachmentObject>;
  /** The attachment a signed link names; no actor: the link is the credential. */
  download(link: DownloadLink): Promise<AttachmentFile>;
}>;

export function createEmailChangeService(deps: EmailChangeDeps): EmailChangeService {
  const reads = { db: deps.db, clock: deps.clock, links: createAttachmentLinks(deps) };
  return {
    reschedule: (actor, id, input) => rescheduleEmail(deps, actor, id, input),
    cancel: (actor, id) => cancelEmail(deps, actor, id),
    listAttachments: (actor, emailId, cursor) => listAttachments(reads, actor, emailId, cursor),
    getAttachment: (actor, emailId, attachmentId) => getAttachment(reads, actor, emailId, attachmentId),
    download: (link) => downloadAttachment(reads, link),
  };
}
