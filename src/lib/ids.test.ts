import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids.js';

describe('newId', () => {
  it('has its prefix, 26 lowercase base32 characters, and passes isId', () => {
    const id = newId('apiKey');
    expect(id).toMatch(/^key_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(isId('apiKey', id)).toBe(true);
    expect(isId('email', id)).toBe(false);
  });

  it('sorts by creation time', () => {
    const earlier = newId('email', 1_700_000_000_000);
    const later = newId('email', 1_700_000_000_001);
    expect(earlier < later).toBe(true);
  });

  it('draws 80 random bits: 20,000 ids in the same millisecond are distinct and use every character', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('email', 1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    const tails = ids.map((id) => id.slice(-16));
    for (let position = 0; position < 16; position++) {
      expect(new Set(tails.map((t) => t[position])).size, `position ${position}`).toBe(32);
    }
  });
});
