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
  auditEvent: 'aud',
  requestLog: 'req',
  invitation: 'inv',
  event: 'evt',
  webhook: 'wh',
  webhookDelivery: 'msg',
  webhookAttempt: 'att',
  suppression: 'sup',
  template: 'tmpl',
  templateVersion: 'tmplv',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// Random bytes drawn from the CSPRNG in blocks: one randomBytes call per id cost more than the id.
let pool = Buffer.alloc(0);
let poolOffset = 0;

function takeRandom(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return slice;
}

/** The 10-character time part of an id made at `ms`. */
function timePart(ms: number): string {
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return time;
}

/** Sorts before every id of this kind made at or after `ms`, and after every one made before. */
export function idBefore(kind: IdKind, ms: number): string {
  return `${ID_PREFIXES[kind]}_${timePart(ms)}`;
}

export function newId(kind: IdKind, now: number = Date.now()): string {
  const time = timePart(now);
  // 80 random bits as 16 base32 characters: 5 bytes make 8 characters, twice.
  const random = takeRandom(10);
  let tail = '';
  for (let half = 0; half < 2; half++) {
    const o = half * 5;
    const hi = (random[o]! << 12) | (random[o + 1]! << 4) | (random[o + 2]! >> 4); // 20 bits
    const lo = ((random[o + 2]! & 0x0f) << 16) | (random[o + 3]! << 8) | random[o + 4]!; // 20 bits
    for (const part of [hi, lo]) {
      for (let shift = 15; shift >= 0; shift -= 5) tail += ALPHABET[(part >> shift) & 31];
    }
  }
  return `${ID_PREFIXES[kind]}_${time}${tail}`;
}

const ID_SHAPE = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `id` has the shape of an id of this kind (cheap check before any lookup). */
export function isId(kind: IdKind, id: string): boolean {
  return id.startsWith(`${ID_PREFIXES[kind]}_`) && ID_SHAPE.test(id);
}
