import type { Address, Email } from 'postal-mime';
import type { EmailDetail } from '../../api/types.ts';
import { formatDateTime } from '../../lib/format.ts';

// What the detail panel renders: the message the capture transport kept, parsed in the browser
// (exactly what a recipient would get, DKIM signature and all), or, for mail that has no captured
// copy (sent through the relay, or not sent yet), the content stored with the email.

export type Rendered = {
  source: 'captured' | 'stored';
  headers: { label: string; value: string }[];
  html: string | undefined;
  text: string | undefined;
  /** The MIME source (captured mail only), cut at MAX_SOURCE characters. */
  raw: string | undefined;
  rawTruncated: boolean;
  attachments: { name: string; type: string }[];
};

const MAX_SOURCE = 200_000;

export async function renderCaptured(bytes: ArrayBuffer): Promise<Rendered> {
  // Loaded on first use: the parser is only needed here.
  const { default: PostalMime } = await import('postal-mime');
  const email = await PostalMime.parse(bytes, { attachmentEncoding: 'base64' });
  const source = new TextDecoder('utf-8').decode(bytes);
  return {
    source: 'captured',
    headers: headerRows([
      ['From', email.from ? addresses([email.from]) : undefined],
      ['To', addresses(email.to)],
      ['Cc', addresses(email.cc)],
      ['Reply-To', addresses(email.replyTo)],
      ['Subject', email.subject ?? ''],
      ['Date', email.date ? formatDateTime(email.date) : undefined],
    ]),
    html: email.html === undefined ? undefined : inlineRelated(email.html, email),
    text: email.text,
    raw: source.length > MAX_SOURCE ? source.slice(0, MAX_SOURCE) : source,
    rawTruncated: source.length > MAX_SOURCE,
    attachments: email.attachments
      .filter((a) => !(a.related && a.contentId))
      .map((a) => ({ name: a.filename ?? '(unnamed)', type: a.mimeType })),
  };
}

export function renderStored(email: EmailDetail): Rendered {
  return messageOf(
    [
      ['From', email.from],
      ['To', email.to.join(', ')],
      ['Cc', email.cc?.join(', ')],
      ['Reply-To', email.reply_to?.join(', ')],
      ['Subject', email.subject],
    ],
    email.html,
    email.text,
  );
}

/** A message the dashboard holds as parts (an email's stored content, a template's preview); absent headers are left out. */
export function messageOf(headers: [string, string | undefined][], html: string | null, text: string | null): Rendered {
  return { source: 'stored', headers: headerRows(headers), html: html ?? undefined, text: text ?? undefined, raw: undefined, rawTruncated: false, attachments: [] };
}

function headerRows(rows: [string, string | undefined][]): { label: string; value: string }[] {
  return rows.filter((r): r is [string, string] => r[1] !== undefined && (r[1] !== '' || r[0] === 'Subject')).map(([label, value]) => ({ label, value }));
}

function addresses(list: Address[] | undefined): string | undefined {
  if (!list || list.length === 0) return undefined;
  return list
    .map((a) => (a.group ? `${a.name}: ${a.group.map(mailbox).join(', ')};` : mailbox(a)))
    .join(', ');
}

const mailbox = (m: { name: string; address: string }): string => (m.name ? `${m.name} <${m.address}>` : m.address);

/** Images the message carries itself (`cid:`) become data: URLs, the only images the frame may load. */
function inlineRelated(html: string, email: Email): string {
  let out = html;
  for (const a of email.attachments) {
    if (!a.contentId || typeof a.content !== 'string' || a.encoding !== 'base64') continue;
    const cid = a.contentId.replace(/^<|>$/g, '');
    out = out.split(`cid:${cid}`).join(`data:${a.mimeType};base64,${a.content}`);
  }
  return out;
}

// Security: the message is rendered in an iframe with sandbox="" (no scripts, no forms, no
// popups, an opaque origin that cannot reach the dashboard's cookies or API) from srcdoc; this
// policy, on top of the dashboard's own (which the frame inherits), lets it load nothing from
// the network either: no tracking pixels, no remote fonts or styles.
const FRAME_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:";

export function frameDocument(html: string): string {
  return (
    '<!doctype html><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}">` +
    '<base target="_blank"><style>body{margin:16px;font-family:system-ui,sans-serif;}</style>' +
    html
  );
}
