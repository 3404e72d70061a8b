import { domainToASCII } from 'node:url';
import { BoundedMap } from '../limits/bounded-map.js';

// Addresses as senders write them: `a@example.com` or `Name <a@example.com>`. Parsing is strict
// on purpose: every address ends up in a header or an SMTP command, so anything that could end
// a line or smuggle a second address is refused rather than repaired.

export type Mailbox = Readonly<{ name: string | undefined; address: string }>;

export type ParsedMailbox = { ok: true; mailbox: Mailbox } | { ok: false; reason: string };

// RFC 5322 atext: the characters of a dot-atom local part.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LABEL = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
/** Security: CR and LF end a header line; the one rule that keeps headers from being injected. */
export const LINE_BREAK = /[\r\n]/;
const CONTROL = /[\u0000-\u001f\u007f]/;

const MAX_NAME = 200;

/** The reason `text` may not go into a header, or undefined when it may. */
export function headerTextProblem(text: string): string | undefined {
  if (LINE_BREAK.test(text)) return 'must not contain CR or LF';
  if (CONTROL.test(text)) return 'must not contain control characters';
  return undefined;
}

// Domain as written -> its normalised form, or null when it is not a domain. Never stale; at the
// ceiling the oldest are dropped.
const normalisedDomains = new BoundedMap<string | null>(10_000, () => false);

/**
 * Lower-cased ASCII domain of an address (IDNs in punycode), or undefined when it is not one.
 * Memoised: every email repeats its sender's and its recipients' domains, and the conversion was
 * a few per cent of an email's acceptance.
 */
export function normaliseDomain(domain: string): string | undefined {
  let normalised = normalisedDomains.get(domain);
  if (normalised === undefined) normalisedDomains.set(domain, (normalised = convertDomain(domain) ?? null));
  return normalised ?? undefined;
}

function convertDomain(domain: string): string | undefined {
  const ascii = domainToASCII(domain.trim().replace(/\.$/, ''));
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TOP_LABEL.test(labels[labels.length - 1]!)) return undefined;
  return ascii;
}

/** `local@domain` with a dot-atom local part (no quoted strings, no SMTPUTF8), normalised. */
export function parseAddress(text: string): string | undefined {
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = text.slice(0, at);
  const domain = normaliseDomain(text.slice(at + 1));
  if (local.length > 64 || !LOCAL_PART.test(local) || !domain) return undefined;
  const address = `${local}@${domain}`;
  return address.length <= 254 ? address : undefined;
}

export function parseMailbox(input: string): ParsedMailbox {
  const problem = headerTextProblem(input);
  if (problem) return { ok: false, reason: problem };
  const text = input.trim();
  const angle = /^(.*?)\s*<([^<>]*)>$/s.exec(text);
  let name: string | undefined;
  let addressText = text;
  if (angle) {
    addressText = angle[2]!.trim();
    const displayName = unquote(angle[1]!.trim());
    if (displayName === undefined) return { ok: false, reason: 'has a display name with unbalanced quotes or an unquoted < or >' };
    if (displayName.length > MAX_NAME) return { ok: false, reason: `has a display name longer than ${MAX_NAME} characters` };
    name = displayName === '' ? undefined : displayName;
  } else if (/[<>"]/.test(text)) {
    return { ok: false, reason: 'is not an email address or "Name <address>"' };
  }
  const address = parseAddress(addressText);
  if (!address) return { ok: false, reason: `${JSON.stringify(addressText)} is not a valid email address` };
  return { ok: true, mailbox: { name, address } };
}

/** A display name without its surrounding quotes and escapes; undefined when it cannot be one. */
function unquote(name: string): string | undefined {
  if (name.startsWith('"')) {
    if (name.length < 2 || !name.endsWith('"')) return undefined;
    const inner = name.slice(1, -1);
    if (/(^|[^\\])"/.test(inner.replace(/\\\\/g, ''))) return undefined;
    return inner.replace(/\\(.)/g, '$1');
  }
  // Unquoted, a name may not hold what delimits addresses: `<a@b> <c@d>` is two, not one.
  if (/["<>]/.test(name)) return undefined;
  return name;
}

/** The mailbox as it appears in lists and the log: `Name <a@b>` or `a@b`. */
export function formatMailbox(mailbox: Mailbox): string {
  if (!mailbox.name) return mailbox.address;
  // Quoted when it holds characters with a meaning in an address header.
  const name = /[()<>\[\]:;@\\,."]/.test(mailbox.name) ? `"${mailbox.name.replace(/(["\\])/g, '\\$1')}"` : mailbox.name;
  return `${name} <${mailbox.address}>`;
}

/** The domain part of a normalised address. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
