import { describe, expect, it } from 'vitest';
import type { ApiKeyRow } from '../../db/schema.js';
import { manualClock } from '../../lib/clock.js';
import { KeyCache, type CachedKey } from './key-cache.js';
import { presentKey } from './present.js';

const TTL_MS = 60_000;

function cachedKey(keyId: string, organizationId: string, hash: string): CachedKey {
  const at = new Date('2025-01-01T00:00:00Z');
  const key: ApiKeyRow = {
    id: keyId,
    organizationId,
    projectId: `proj_${organizationId}`,
    name: keyId,
    mode: 'live',
    permission: 'full_access',
    scopes: ['*'],
    domainIds: [],
    allowedIps: [],
    tokenHash: hash,
    tokenTail: 'ab12c',
    previousTokenHash: null,
    previousTokenExpiresAt: null,
    expiresAt: null,
    lastUsedAt: null,
    createdAt: at,
    updatedAt: at,
  };
  const principal = {
    kind: 'api_key' as const,
    keyId,
    keyName: key.name,
    organizationId,
    projectId: key.projectId,
    mode: 'live' as const,
    permission: 'full_access' as const,
    scopes: new Set(['*']),
    domainIds: [],
    allowedIps: [],
    expiresAtMs: null,
    plan: 'free' as const,
  };
  return {
    principal,
    verified: { ok: true, principal },
    snapshot: { key, organization: { id: organizationId, name: organizationId, plan: 'free' }, apiKey: presentKey(key, undefined) },
    hash,
    hashBytes: Buffer.from(hash, 'hex'),
    validUntil: null,
  };
}

function setup(): { cache: KeyCache; clock: ReturnType<typeof manualClock> } {
  const clock = manualClock(Date.UTC(2025, 0, 1));
  return { cache: new KeyCache(TTL_MS, clock), clock };
}

/** Caches `hash` for the given key at the current generation and returns the entry. */
function put(cache: KeyCache, keyId: string, organizationId: string, hash: string): CachedKey {
  const entry = cachedKey(keyId, organizationId, hash);
  cache.set(hash, entry, cache.generation);
  return entry;
}

describe('KeyCache', () => {
  it('misses a hash it was never told about', () => {
    const { cache } = setup();
    expect(cache.get('h_unknown')).toBeUndefined();
  });

  it('returns what was set', () => {
    const { cache } = setup();
    const entry = put(cache, 'key_1', 'org_1', 'h1');
    expect(cache.get('h1')).toBe(entry);
    expect(cache.get('h2')).toBeUndefined();
  });

  it('replaces an entry set again', () => {
    const { cache } = setup();
    put(cache, 'key_1', 'org_1', 'h1');
    const newer = put(cache, 'key_1', 'org_1', 'h1');
    expect(cache.get('h1')).toBe(newer);
  });

  describe('TTL', () => {
    it('keeps an entry up to its TTL and drops it after', () => {
      const { cache, clock } = setup();
      const entry = put(cache, 'key_1', 'org_1', 'h1');
      clock.advance(TTL_MS);
      expect(cache.get('h1')).toBe(entry);
      clock.advance(1);
      expect(cache.get('h1')).toBeUndefined();
    });

    it('stays expired once expired', () => {
      const { cache, clock } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      clock.advance(TTL_MS + 1);
      expect(cache.get('h1')).toBeUndefined();
      expect(cache.get('h1')).toBeUndefined();
    });

    it('counts the TTL from the latest set', () => {
      const { cache, clock } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      clock.advance(TTL_MS - 10);
      const refreshed = put(cache, 'key_1', 'org_1', 'h1');
      clock.advance(TTL_MS - 10);
      expect(cache.get('h1')).toBe(refreshed);
      clock.advance(11);
      expect(cache.get('h1')).toBeUndefined();
    });

    it('does not extend an entry by reading it', () => {
      const { cache, clock } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      for (let i = 0; i < 6; i++) {
        clock.advance(TTL_MS / 6);
        cache.get('h1');
      }
      clock.advance(1);
      expect(cache.get('h1')).toBeUndefined();
    });

    it('expires entries independently', () => {
      const { cache, clock } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      clock.advance(TTL_MS / 2);
      const later = put(cache, 'key_2', 'org_1', 'h2');
      clock.advance(TTL_MS / 2 + 1);
      expect(cache.get('h1')).toBeUndefined();
      expect(cache.get('h2')).toBe(later);
    });
  });

  describe('negative entries', () => {
    it('remembers an unknown hash as null, distinct from a miss', () => {
      const { cache } = setup();
      cache.set('h_unknown', null, cache.generation);
      expect(cache.get('h_unknown')).toBeNull();
      expect(cache.get('h_other')).toBeUndefined();
    });

    it('forgets an unknown hash after the TTL', () => {
      const { cache, clock } = setup();
      cache.set('h_unknown', null, cache.generation);
      clock.advance(TTL_MS);
      expect(cache.get('h_unknown')).toBeNull();
      clock.advance(1);
      expect(cache.get('h_unknown')).toBeUndefined();
    });

    it('replaces a negative entry with a key, and a key with a negative entry', () => {
      const { cache } = setup();
      cache.set('h1', null, cache.generation);
      const entry = put(cache, 'key_1', 'org_1', 'h1');
      expect(cache.get('h1')).toBe(entry);
      cache.set('h1', null, cache.generation);
      expect(cache.get('h1')).toBeNull();
    });

    it('drops negative entries on clear', () => {
      const { cache } = setup();
      cache.set('h_unknown', null, cache.generation);
      cache.clear();
      expect(cache.get('h_unknown')).toBeUndefined();
    });
  });

  describe('invalidation', () => {
    it('drops every hash of an invalidated key, current and previous token alike', () => {
      const { cache } = setup();
      put(cache, 'key_1', 'org_1', 'h_current');
      put(cache, 'key_1', 'org_1', 'h_previous');
      cache.invalidateKey('key_1');
      expect(cache.get('h_current')).toBeUndefined();
      expect(cache.get('h_previous')).toBeUndefined();
    });

    it('keeps other keys when one key is invalidated', () => {
      const { cache } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      const sibling = put(cache, 'key_2', 'org_1', 'h2');
      const stranger = put(cache, 'key_3', 'org_2', 'h3');
      cache.invalidateKey('key_1');
      expect(cache.get('h1')).toBeUndefined();
      expect(cache.get('h2')).toBe(sibling);
      expect(cache.get('h3')).toBe(stranger);
    });

    it('drops every key of an invalidated organization and no other', () => {
      const { cache } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      put(cache, 'key_2', 'org_1', 'h2');
      const stranger = put(cache, 'key_3', 'org_2', 'h3');
      cache.invalidateOrganization('org_1');
      expect(cache.get('h1')).toBeUndefined();
      expect(cache.get('h2')).toBeUndefined();
      expect(cache.get('h3')).toBe(stranger);
    });

    it('caches a key again after its invalidation, and drops it again on the next', () => {
      const { cache } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      cache.invalidateKey('key_1');
      const reloaded = put(cache, 'key_1', 'org_1', 'h1');
      expect(cache.get('h1')).toBe(reloaded);
      cache.invalidateKey('key_1');
      expect(cache.get('h1')).toBeUndefined();
      put(cache, 'key_1', 'org_1', 'h1');
      cache.invalidateOrganization('org_1');
      expect(cache.get('h1')).toBeUndefined();
    });

    it('drops everything on clear', () => {
      const { cache } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      put(cache, 'key_2', 'org_2', 'h2');
      cache.clear();
      expect(cache.get('h1')).toBeUndefined();
      expect(cache.get('h2')).toBeUndefined();
      expect(cache.snapshotOf('key_1')).toBeUndefined();
    });

    it('does nothing harmful when invalidating what was never cached', () => {
      const { cache } = setup();
      const entry = put(cache, 'key_1', 'org_1', 'h1');
      cache.invalidateKey('key_unknown');
      cache.invalidateOrganization('org_unknown');
      expect(cache.get('h1')).toBe(entry);
    });
  });

  describe('generation', () => {
    it('moves on every invalidation and clear', () => {
      const { cache } = setup();
      const seen = [cache.generation];
      cache.invalidateKey('key_1');
      seen.push(cache.generation);
      cache.invalidateOrganization('org_1');
      seen.push(cache.generation);
      cache.clear();
      seen.push(cache.generation);
      expect(new Set(seen).size).toBe(4);
    });

    it('does not move on reads and writes', () => {
      const { cache } = setup();
      const before = cache.generation;
      put(cache, 'key_1', 'org_1', 'h1');
      cache.get('h1');
      cache.snapshotOf('key_1');
      expect(cache.generation).toBe(before);
    });

    it('ignores a load that started before the key was invalidated', () => {
      const { cache } = setup();
      const generation = cache.generation; // a database load begins
      cache.invalidateKey('key_1'); // the key is revoked meanwhile
      cache.set('h1', cachedKey('key_1', 'org_1', 'h1'), generation); // the stale load lands
      expect(cache.get('h1')).toBeUndefined();
    });

    it('ignores a stale load even when the key was not cached when it was invalidated', () => {
      const { cache } = setup();
      const generation = cache.generation;
      cache.invalidateOrganization('org_1');
      cache.set('h1', cachedKey('key_1', 'org_1', 'h1'), generation);
      expect(cache.get('h1')).toBeUndefined();
    });

    it('ignores a stale negative entry too', () => {
      const { cache } = setup();
      const generation = cache.generation;
      cache.clear();
      cache.set('h_new', null, generation);
      expect(cache.get('h_new')).toBeUndefined();
    });

    it('keeps a stale load from replacing a fresh entry', () => {
      const { cache } = setup();
      const staleGeneration = cache.generation;
      cache.invalidateKey('key_1');
      const fresh = put(cache, 'key_1', 'org_1', 'h1');
      cache.set('h1', cachedKey('key_1', 'org_1', 'h1'), staleGeneration);
      expect(cache.get('h1')).toBe(fresh);
    });

    it('refuses a generation from the future', () => {
      const { cache } = setup();
      cache.set('h1', cachedKey('key_1', 'org_1', 'h1'), cache.generation + 1);
      expect(cache.get('h1')).toBeUndefined();
    });
  });

  describe('snapshotOf', () => {
    it('returns the snapshot of a cached key', () => {
      const { cache } = setup();
      const entry = put(cache, 'key_1', 'org_1', 'h1');
      expect(cache.snapshotOf('key_1')).toBe(entry.snapshot);
      expect(cache.snapshotOf('key_2')).toBeUndefined();
    });

    it('forgets the snapshot once the key is invalidated or expired', () => {
      const { cache, clock } = setup();
      put(cache, 'key_1', 'org_1', 'h1');
      cache.invalidateKey('key_1');
      expect(cache.snapshotOf('key_1')).toBeUndefined();
      put(cache, 'key_2', 'org_1', 'h2');
      clock.advance(TTL_MS + 1);
      expect(cache.snapshotOf('key_2')).toBeUndefined();
    });

    it('finds the snapshot through any live hash of the key', () => {
      const { cache, clock } = setup();
      put(cache, 'key_1', 'org_1', 'h_previous');
      clock.advance(TTL_MS / 2);
      const current = put(cache, 'key_1', 'org_1', 'h_current');
      clock.advance(TTL_MS / 2 + 1);
      expect(cache.snapshotOf('key_1')).toBe(current.snapshot);
    });
  });

  it('stays bounded under a flood of unknown hashes, dropping the oldest first', () => {
    const { cache } = setup();
    const flood = 120_000;
    for (let i = 0; i < flood; i++) cache.set(`h${i}`, null, cache.generation);
    expect(cache.get('h0')).toBeUndefined();
    expect(cache.get(`h${flood - 1}`)).toBeNull();
    let kept = 0;
    for (let i = 0; i < flood; i++) if (cache.get(`h${i}`) !== undefined) kept++;
    expect(kept).toBeLessThan(flood);
    expect(kept).toBeGreaterThan(0);
  });
});
