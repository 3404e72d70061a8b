import { z } from 'zod';

// Request and response shapes of the routes that change an accepted email and read its
// attachments, as the `resend` SDK (6.38) sends and reads them: `emails.update` (PATCH
// {scheduled_at}), `emails.cancel`, `emails.attachments.list` / `get` (AttachmentData).

/** PATCH /emails/{id}: the new time, in any form POST /emails accepts for `scheduled_at`. */
export const rescheduleBody = z.strictObject({ scheduled_at: z.string().min(1).max(64) });
export type RescheduleInput = z.infer<typeof rescheduleBody>;

/** Cancel takes no body; the SDK sends none (`{}` is accepted, anything in it is not). */
export const noBody = z.strictObject({}).nullish();

/** The answer to a reschedule or a cancel (the SDK's UpdateEmailResponseSuccess / CancelEmailResponseSuccess). */
export const emailRef = z.object({ object: z.literal('email'), id: z.string() });
export type EmailRef = z.infer<typeof emailRef>;

export const attachmentParams = z.strictObject({ id: z.string().min(1).max(64), attachment_id: z.string().min(1).max(64) });

/** Resend's AttachmentData. `download_url` is signed and stops working at `expires_at`. */
export const attachmentData = z.object({
  id: z.string(),
  filename: z.string(),
  size: z.number(),
  content_type: z.string(),
  content_disposition: z.enum(['inline', 'attachment']),
  content_id: z.string().optional(),
  download_url: z.string(),
  expires_at: z.string(),
});
export type AttachmentData = z.infer<typeof attachmentData>;

export const attachmentObject = attachmentData.extend({ object: z.literal('attachment') });
export type AttachmentObject = z.infer<typeof attachmentObject>;

export const attachmentList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(attachmentData) });

/**
 * A signed download link: the path names the attachment, the query carries its expiry and
 * signature. Loose on purpose: a link that was altered in any way gets one answer (400), from
 * the signature check, rather than a 422 that would tell which part was touched.
 */
export const downloadParams = z.object({ attachment_id: z.string().max(64) });
export const downloadQuery = z.object({ expires: z.string().max(64).optional(), signature: z.string().max(256).optional() });
export type DownloadLink = Readonly<{ attachmentId: string; expires: string | undefined; signature: string | undefined }>;
