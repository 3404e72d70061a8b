import { randomBytes } from 'node:crypto';

// Prefixed, time-ordered ids (`key_01jf...`): the prefix says what an id is, and the lowercase
// Crockford base32 body sorts by creation time under any collation, which the list cursors rely on.

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIXES = {
  organization: 'org',
  project: 'proj',
  apiKey: 'key',
  domain: 'dom',
  email: 'em',
  user: 'usr',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(10);
  let tail = '';
  // 80 random bits as 16 base32 characters.
  let acc = 0n;
  for (const byte of random) acc = (acc << 8n) | BigInt(byte);
  for (let i = 0; i < 16; i++) {
    tail = ALPHABET[Number(acc & 31n)]! + tail;
    acc >>= 5n;
  }
  return `${ID_PREFIXES[kind]}_${time}${tail}`;
}

const ID_SHAPE = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `id` has the shape of an id of this kind (cheap check before any lookup). */
export function isId(kind: IdKind, id: string): boolean {
  return id.startsWith(`${ID_PREFIXES[kind]}_`) && ID_SHAPE.test(id);
}
