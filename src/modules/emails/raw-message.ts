import type { Address } from 'postal-mime';
import { parseAddress, type Mailbox } from './address.js';

// A message submitted over SMTP is kept as submitted, with the few changes a submission agent
// makes (RFC 6409 section 8): a Message-ID and a Date when it has none, and no Bcc header (its
// recipients are in the envelope; the header would tell every recipient who else got it).
// The header block is handled as latin1 so every byte comes out as it went in.
// Also the addresses such a message shows (To, Cc), against those its envelope sends to.

export type SubmittedMessage = Readonly<{ raw: Buffer; messageId: string }>;

/** Index of the blank line ending the header block, and the length of that separator. */
function headerEnd(text: string): { at: number; separator: number } {
  const crlf = text.indexOf('\r\n\r\n');
  if (crlf >= 0) return { at: crlf + 2, separator: 2 };
  return { at: text.length, separator: 0 };
}

/** The header fields of the block, each with its continuation lines. */
function fields(block: string): string[] {
  const lines = block.split('\r\n').filter((line, i, all) => !(i === all.length - 1 && line === ''));
  const result: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && result.length > 0) result[result.length - 1] += `\r\n${line}`;
    else result.push(line);
  }
  return result;
}

const fieldName = (field: string): string => field.slice(0, Math.max(0, field.indexOf(':'))).trim().toLowerCase();

export function prepareSubmittedMessage(raw: Buffer, additions: { messageId: string; date: Date }): SubmittedMessage {
  const text = raw.toString('latin1');
  const end = headerEnd(text);
  const headers = fields(text.slice(0, end.at));
  const body = text.slice(end.at);
  const kept = headers.filter((f) => fieldName(f) !== 'bcc');
  const existingId = kept.find((f) => fieldName(f) === 'message-id');
  const added: string[] = [];
  if (!existingId) added.push(`Message-ID: ${additions.messageId}`);
  if (!kept.some((f) => fieldName(f) === 'date')) added.push(`Date: ${additions.date.toUTCString().replace('GMT', '+0000')}`);
  const messageId = existingId ? existingId.slice(existingId.indexOf(':') + 1).replace(/\s+/g, ' ').trim() : additions.messageId;
  const rebuilt = [...added, ...kept].map((f) => `${f}\r\n`).join('') + (end.separator ? body : `\r\n${body}`);
  return { raw: Buffer.from(rebuilt, 'latin1'), messageId };
}

/** Mailboxes of a parsed header (groups flattened); addresses that do not parse are left out. */
export function mailboxesOf(list: Address[] | undefined): Mailbox[] {
  const result: Mailbox[] = [];
  for (const entry of list ?? []) {
    for (const m of 'group' in entry && entry.group ? entry.group : [entry]) {
      const address = m.address ? parseAddress(m.address) : undefined;
      if (address) result.push({ name: m.name || undefined, address });
    }
  }
  return result;
}

/** Recipients the headers do not show were blind copies. */
export function blindCopies(recipients: readonly string[], shown: readonly Mailbox[]): string[] {
  const visible = new Set(shown.map((m) => m.address.toLowerCase()));
  return recipients.filter((r) => !visible.has(r.toLowerCase()));
}
