import { hash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

// Token format: pgt_<mode>_<32 base62 secret chars><6 base62 checksum chars>.
// 32 base62 characters carry ~190 bits from the CSPRNG. The checksum (CRC32 of everything before
// it, GitHub style) lets a mistyped or made-up key be refused before any lookup.

export type KeyMode = 'live' | 'test';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const TOKEN_SHAPE = /^pgt_(live|test)_([0-9A-Za-z]{38})$/;
/** Every token's length, whatever its mode. */
export const TOKEN_LENGTH = 'pgt_live_'.length + SECRET_LENGTH + CHECKSUM_LENGTH;

function base62Fixed(value: number, width: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62]! + out;
    v = Math.floor(v / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62Fixed(crc32(body), CHECKSUM_LENGTH);
}

export type GeneratedToken = { token: string; hash: string; tail: string };

export function generateToken(mode: KeyMode): GeneratedToken {
  let secret = '';
  // randomInt draws uniformly from the CSPRNG (no modulo bias).
  for (let i = 0; i < SECRET_LENGTH; i++) secret += BASE62[randomInt(62)];
  const body = `pgt_${mode}_${secret}`;
  const token = body + checksum(body);
  return { token, hash: hashToken(token), tail: token.slice(-5) };
}

/** The mode of a well-formed token with a valid checksum, or undefined: no lookup needed to refuse. */
export function parseToken(token: string): KeyMode | undefined {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return undefined;
  const body = token.slice(0, token.length - CHECKSUM_LENGTH);
  // The checksum is not a secret, so a plain comparison is fine here.
  if (checksum(body) !== token.slice(-CHECKSUM_LENGTH)) return undefined;
  return match[1] as KeyMode;
}

/**
 * SHA-256 of the whole token, hex. Tokens carry ~190 random bits, so a fast unsalted hash is
 * safe (no dictionary to attack); lookups are by this hash through a unique index.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The same hash as raw bytes (for constant-time comparison without re-decoding hex). */
export function hashTokenBytes(token: string): Buffer {
  // The one-shot form: no Hash object per call (this runs on every authenticated request).
  return hash('sha256', token, 'buffer');
}

/** `pgt_live_...ab12c`: enough to recognise a key, never enough to use it. */
export function redactToken(mode: KeyMode, tail: string): string {
  return `pgt_${mode}_...${tail}`;
}
