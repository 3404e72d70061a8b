import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateToken, hashToken, parseToken, redactToken, type KeyMode } from './token.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX_LENGTH = 'pgt_live_'.length;
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const TOKEN_LENGTH = PREFIX_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH;

/**
 * The documented checksum, written independently of token.ts: CRC32 of everything before it,
 * as six base62 digits, most significant first. Lets the tests build tokens of a wrong shape
 * whose checksum is nonetheless right, so the shape check itself is exercised.
 */
function documentedChecksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62]! + out;
    value = Math.floor(value / 62);
  }
  return out;
}

function withChecksum(body: string): string {
  return body + documentedChecksum(body);
}

function randomSecret(length: number): string {
  const token = generateToken('live').token;
  // Reuse generated secret characters: enough for shape tests, and no hand-made randomness.
  let out = '';
  while (out.length < length) out += token.slice(PREFIX_LENGTH, PREFIX_LENGTH + SECRET_LENGTH);
  return out.slice(0, length);
}

describe('generateToken', () => {
  it.each(['live', 'test'] as const)('makes a %s token of the documented shape', (mode) => {
    const { token } = generateToken(mode);
    expect(token.startsWith(`pgt_${mode}_`)).toBe(true);
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(token.slice(PREFIX_LENGTH)).toMatch(/^[0-9A-Za-z]+$/);
  });

  it('ends every token in the CRC32 base62 checksum of what precedes it', () => {
    for (let i = 0; i < 50; i++) {
      const { token } = generateToken(i % 2 === 0 ? 'live' : 'test');
      const body = token.slice(0, -CHECKSUM_LENGTH);
      expect(token.slice(-CHECKSUM_LENGTH)).toBe(documentedChecksum(body));
    }
  });

  it('carries at least 128 bits of secret', () => {
    expect(SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
    const secret = generateToken('live').token.slice(PREFIX_LENGTH, -CHECKSUM_LENGTH);
    expect(secret).toHaveLength(SECRET_LENGTH);
  });

  it('never repeats a token, nor a secret, in many draws', () => {
    const count = 20_000;
    const tokens = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < count; i++) {
      const { token } = generateToken('live');
      tokens.add(token);
      secrets.add(token.slice(PREFIX_LENGTH, -CHECKSUM_LENGTH));
    }
    expect(tokens.size).toBe(count);
    expect(secrets.size).toBe(count);
  });

  it('draws secret characters from the whole base62 alphabet at every position', () => {
    const seen = Array.from({ length: SECRET_LENGTH }, () => new Set<string>());
    const all = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      const secret = generateToken('test').token.slice(PREFIX_LENGTH, -CHECKSUM_LENGTH);
      [...secret].forEach((char, position) => {
        seen[position]!.add(char);
        all.add(char);
      });
    }
    expect(all.size).toBe(62);
    // 3,000 uniform draws over 62 symbols miss one with probability ~62 * e^-49: never.
    for (const set of seen) expect(set.size).toBe(62);
  });

  it('returns the hash of the token and its last five characters', () => {
    const generated = generateToken('live');
    expect(generated.hash).toBe(hashToken(generated.token));
    expect(generated.tail).toBe(generated.token.slice(-5));
    expect(generated.tail).toHaveLength(5);
  });
});

describe('parseToken', () => {
  it('accepts generated tokens and reports their mode', () => {
    for (const mode of ['live', 'test'] as const) {
      for (let i = 0; i < 20; i++) expect(parseToken(generateToken(mode).token)).toBe(mode);
    }
  });

  it('accepts a hand-built token with the documented checksum', () => {
    expect(parseToken(withChecksum(`pgt_test_${'A'.repeat(SECRET_LENGTH)}`))).toBe('test');
    expect(parseToken(withChecksum(`pgt_live_${'0'.repeat(SECRET_LENGTH)}`))).toBe('live');
  });

  it('detects every single-character substitution', () => {
    const substitutes = `${BASE62}_-.`;
    for (let sample = 0; sample < 20; sample++) {
      const { token } = generateToken(sample % 2 === 0 ? 'live' : 'test');
      for (let position = 0; position < token.length; position++) {
        for (const char of substitutes) {
          if (char === token[position]) continue;
          const mistyped = token.slice(0, position) + char + token.slice(position + 1);
          expect(parseToken(mistyped), mistyped).toBeUndefined();
        }
      }
    }
  });

  it('detects every swap of two adjacent different characters', () => {
    for (let sample = 0; sample < 50; sample++) {
      const { token } = generateToken('live');
      for (let position = PREFIX_LENGTH; position < token.length - 1; position++) {
        if (token[position] === token[position + 1]) continue;
        const swapped = token.slice(0, position) + token[position + 1] + token[position] + token.slice(position + 2);
        expect(parseToken(swapped), swapped).toBeUndefined();
      }
    }
  });

  it('refuses a token whose mode was changed, since the checksum covers it', () => {
    const { token } = generateToken('test');
    expect(parseToken(token.replace('pgt_test_', 'pgt_live_'))).toBeUndefined();
  });

  it('refuses other prefixes even with a right checksum', () => {
    const secret = randomSecret(SECRET_LENGTH);
    for (const prefix of ['pgt_prod_', 'pgt_Live_', 'PGT_live_', 'pgt-live-', 'pgt_live', 'pgtlive_', 'sk_live_', 're_', '_live_', 'pgt__']) {
      expect(parseToken(withChecksum(prefix + secret)), prefix).toBeUndefined();
    }
  });

  it('refuses secrets of any other length even with a right checksum', () => {
    for (const length of [0, 1, 16, 31, 33, 38, 64]) {
      expect(parseToken(withChecksum(`pgt_live_${randomSecret(length)}`)), String(length)).toBeUndefined();
    }
  });

  it('refuses truncated and extended tokens', () => {
    const { token } = generateToken('live');
    expect(parseToken(token.slice(0, -1))).toBeUndefined();
    expect(parseToken(token.slice(1))).toBeUndefined();
    expect(parseToken(`${token}0`)).toBeUndefined();
    expect(parseToken(`${token}${token}`)).toBeUndefined();
    expect(parseToken(token.slice(0, -CHECKSUM_LENGTH))).toBeUndefined();
  });

  it('refuses NUL, whitespace and other characters anywhere', () => {
    const { token } = generateToken('live');
    const middle = Math.floor(token.length / 2);
    for (const bad of ['\0', ' ', '\t', '\n', '\r', '\u00a0', '\u200b']) {
      expect(parseToken(bad + token), JSON.stringify(bad)).toBeUndefined();
      expect(parseToken(token + bad), JSON.stringify(bad)).toBeUndefined();
      expect(parseToken(token.slice(0, middle) + bad + token.slice(middle)), JSON.stringify(bad)).toBeUndefined();
    }
    expect(parseToken(`Bearer ${token}`)).toBeUndefined();
  });

  it('refuses empty and junk input', () => {
    for (const junk of ['', 'pgt_', 'pgt_live_', 'null', 'undefined', '*', 'pgt_live_'.padEnd(TOKEN_LENGTH, '0')]) {
      expect(parseToken(junk), junk).toBeUndefined();
    }
  });
});

describe('hashToken', () => {
  it('is the SHA-256 of the token, in lowercase hex', () => {
    // FIPS 180-2 test vector.
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives a 64-character hex digest that does not contain the token', () => {
    const { token } = generateToken('live');
    const hash = hashToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(token.slice(PREFIX_LENGTH, PREFIX_LENGTH + 8));
  });

  it('is deterministic and distinguishes tokens that differ in one character', () => {
    const { token } = generateToken('test');
    expect(hashToken(token)).toBe(hashToken(token));
    const other = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    expect(hashToken(other)).not.toBe(hashToken(token));
    expect(hashToken(token.replace('pgt_test_', 'pgt_live_'))).not.toBe(hashToken(token));
  });
});

describe('redactToken', () => {
  it('shows the mode and the last five characters only', () => {
    expect(redactToken('live', 'ab12c')).toBe('pgt_live_...ab12c');
    expect(redactToken('test', 'Zz909')).toBe('pgt_test_...Zz909');
  });

  it.each(['live', 'test'] as const)('reveals no more of a %s token than its tail', (mode: KeyMode) => {
    const { token, tail } = generateToken(mode);
    const redacted = redactToken(mode, tail);
    expect(redacted).toBe(`pgt_${mode}_...${token.slice(-5)}`);
    const shown = redacted.slice(`pgt_${mode}_...`.length);
    expect(shown).toHaveLength(5);
    expect(redacted).not.toContain(token.slice(-6));
    expect(redacted).not.toContain(token.slice(PREFIX_LENGTH, PREFIX_LENGTH + 5));
    expect(parseToken(redacted)).toBeUndefined();
  });
});
