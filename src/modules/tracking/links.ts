import { decodeAttributeValue } from './attribute-value.js';
import { htmlTags } from './html-tags.js';
import { encodeToken, MAX_TRACKED_URL_LENGTH, type Signer } from './tokens.js';

// Rewrites an email's HTML for open and click tracking, at delivery:
//   click tracking: every `<a href="http(s)://...">` points at `<publicUrl>/t/c/<token>` instead;
//     the token carries the email id and the original URL, signed (tokens.ts). mailto:, tel:,
//     fragments (#top), relative and other schemes, links over 2,048 characters and links whose
//     value the scanner is not sure how a browser reads are left exactly as written.
//   open tracking: a 1x1 transparent GIF, `<publicUrl>/t/o/<token>`, before the last `</body>`
//     (at the end when there is none).
// Only the href values and the pixel change; every other byte of the document stays as it was.

export type TrackHtmlOptions = Readonly<{
  emailId: string;
  openTracking: boolean;
  clickTracking: boolean;
  /** POSTGATE_PUBLIC_URL, without a trailing slash: recipients' mail clients must reach it. */
  publicUrl: string;
  sign: Signer;
}>;

type Edit = Readonly<{ start: number; end: number; text: string }>;

export function trackHtml(html: string, options: TrackHtmlOptions): string {
  if (!options.openTracking && !options.clickTracking) return html;
  const edits: Edit[] = [];
  let bodyEnd = -1;
  for (const tag of htmlTags(html)) {
    if (tag.kind === 'end') {
      if (tag.name === 'body') bodyEnd = tag.start;
      continue;
    }
    if (!options.clickTracking || tag.name !== 'a') continue;
    // The first of repeated attributes is the one a browser keeps.
    const href = tag.attributes.find((a) => a.name === 'href');
    if (!href || href.start < 0) continue;
    const url = trackableUrl(href.raw, options.publicUrl);
    if (url === undefined) continue;
    const token = encodeToken({ kind: 'click', emailId: options.emailId, url }, options.sign);
    edits.push({ start: href.start, end: href.end, text: `"${escapeAttribute(`${options.publicUrl}/t/c/${token}`)}"` });
  }
  if (options.openTracking) {
    const at = bodyEnd >= 0 ? bodyEnd : html.length;
    edits.push({ start: at, end: at, text: pixel(`${options.publicUrl}/t/o/${encodeToken({ kind: 'open', emailId: options.emailId }, options.sign)}`) });
  }
  return applyEdits(html, edits);
}

/** The absolute http(s) URL a browser would follow for this href, when it is one to track. */
function trackableUrl(raw: string, publicUrl: string): string | undefined {
  const decoded = decodeAttributeValue(raw);
  if (decoded === undefined) return undefined;
  // The URL parser drops leading and trailing controls and spaces (and tabs and newlines
  // anywhere): trimmed here the same way; a control character left inside means "not sure".
  const url = decoded.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (url.length > MAX_TRACKED_URL_LENGTH || /[\u0000-\u001f\u007f]/.test(url)) return undefined;
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) return undefined;
  // Already a tracking link (a message tracked twice): wrapping it again would count twice.
  if (url.startsWith(`${publicUrl}/t/`)) return undefined;
  return url;
}

function pixel(src: string): string {
  // Sized and styled so that no client lays it out as visible space; not display:none, which
  // some clients honour by not loading the image at all.
  const style = 'height:1px!important;width:1px!important;border:0!important;margin:0!important;padding:0!important';
  return `<img src="${escapeAttribute(src)}" width="1" height="1" alt="" border="0" style="${style}" />`;
}

/** Escaped for a double-quoted attribute value. */
function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function applyEdits(html: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return html;
  const ordered = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const edit of ordered) {
    out += html.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + html.slice(at);
}
