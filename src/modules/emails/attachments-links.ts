import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../accounts/secret-box.js';
import type { DownloadLink } from './change-schemas.js';

// Signed, expiring download links of attachments, S3-style:
//   <public URL>/downloads/attachments/<attachment id>?expires=<unix seconds>&signature=<HMAC>
// The signature is the install's HMAC (secret-box.ts) under its own purpose, over the attachment
// id (which names its email and its place in it) and the expiry: changing either, or moving the
// signature to another attachment, makes it invalid; a signature made for tracking links or
// anything else is worthless here (another purpose, another key).

const PURPOSE = 'attachment-download';
/** How long a link works: Resend's links last an hour too. */
export const LINK_LIFETIME_MS = 60 * 60 * 1000;
export const DOWNLOAD_PATH = '/downloads/attachments';

export type SignedLink = Readonly<{ url: string; expiresAt: Date }>;

export type LinkCheck = Readonly<{ ok: true; attachmentId: string }> | Readonly<{ ok: false; reason: 'invalid' | 'expired' }>;

export type AttachmentLinks = Readonly<{
  /** A link to the attachment that works until `now` + one hour. */
  sign(attachmentId: string, now: Date): SignedLink;
  /** Whether the link is one Postgate made and still works at `now`. */
  check(link: DownloadLink, now: Date): LinkCheck;
}>;

export function createAttachmentLinks(deps: Readonly<{ box: SecretBox; publicUrl: string }>): AttachmentLinks {
  const signatureOf = (attachmentId: string, expires: string): string => deps.box.sign(PURPOSE, `${attachmentId}\n${expires}`);
  return {
    sign(attachmentId, now) {
      const expiresAt = new Date(Math.ceil((now.getTime() + LINK_LIFETIME_MS) / 1000) * 1000);
      const expires = String(expiresAt.getTime() / 1000);
      const query = new URLSearchParams({ expires, signature: signatureOf(attachmentId, expires) });
      return { url: `${deps.publicUrl}${DOWNLOAD_PATH}/${encodeURIComponent(attachmentId)}?${query}`, expiresAt };
    },
    check(link, now) {
      const { attachmentId, expires, signature } = link;
      // Canonical digits only: "0123" and "123" must not both carry one signature's meaning.
      if (expires === undefined || signature === undefined || !/^[1-9]\d{0,11}$/.test(expires)) return { ok: false, reason: 'invalid' };
      const expected = Buffer.from(signatureOf(attachmentId, expires));
      const given = Buffer.from(signature);
      // Security: constant-time comparison (length checked first), so timing reveals nothing of the right signature.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
      // Checked after the signature: only a link Postgate made learns that it expired.
      if (Number(expires) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
      return { ok: true, attachmentId };
    },
  };
}
