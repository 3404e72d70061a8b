import { timingSafeEqual } from 'node:crypto';
import { isId } from '../../lib/ids.js';

// Tracking tokens: what a tracked link or pixel carries, signed so that nobody can make Postgate
// redirect to an address it did not write into an email (an open redirect on the operator's
// domain) or count events for an email they name. A token is
//   base64url(payload) "." signature
// where the payload is the email id (a pixel) or the email id, a newline and the original URL
// (a link), and the signature is the caller's HMAC (secret-box.ts, base64url) of the kind, a
// newline and the payload: an open token is never a valid click token.

export type TrackingToken = Readonly<{ kind: 'open'; emailId: string }> | Readonly<{ kind: 'click'; emailId: string; url: string }>;
export type TrackingKind = TrackingToken['kind'];

/** HMAC of `data` under the install's tracking key, base64url. */
export type Signer = (data: string) => string;

/** Links longer than this are left untouched: a token carries its URL, and both stay bounded. */
export const MAX_TRACKED_URL_LENGTH = 2_048;
// The payload of the longest link (each of its characters up to 3 bytes of UTF-8, an email id),
// in base64, with its signature: anything longer was not made here and is not decoded at all.
const MAX_TOKEN_LENGTH = Math.ceil(((MAX_TRACKED_URL_LENGTH * 3 + 100) * 4) / 3) + 100;
const SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function payloadOf(token: TrackingToken): string {
  return token.kind === 'open' ? token.emailId : `${token.emailId}\n${token.url}`;
}

export function encodeToken(token: TrackingToken, sign: Signer): string {
  const payload = payloadOf(token);
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${sign(`${token.kind}\n${payload}`)}`;
}

/** The token's content when it is well formed and carries Postgate's signature for `kind`; else undefined. */
export function verifyToken(kind: TrackingKind, text: string, sign: Signer): TrackingToken | undefined {
  if (text.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = SHAPE.exec(text);
  if (!parts) return undefined;
  const [, encoded, signature] = parts as unknown as [string, string, string];
  const bytes = Buffer.from(encoded, 'base64url');
  // Canonical encodings only: otherwise a changed last character (its unused bits) could decode
  // to the same payload, and an altered token would still be accepted.
  if (bytes.toString('base64url') !== encoded) return undefined;
  let payload: string;
  try {
    payload = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  const expected = Buffer.from(sign(`${kind}\n${payload}`));
  const given = Buffer.from(signature);
  // Security: constant-time comparison, so the time taken reveals nothing of the right signature.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return parsePayload(kind, payload);
}

function parsePayload(kind: TrackingKind, payload: string): TrackingToken | undefined {
  if (kind === 'open') return isId('email', payload) ? { kind, emailId: payload } : undefined;
  const newline = payload.indexOf('\n');
  if (newline < 0) return undefined;
  const emailId = payload.slice(0, newline);
  const url = payload.slice(newline + 1);
  return isId('email', emailId) && url.length > 0 ? { kind, emailId, url } : undefined;
}
