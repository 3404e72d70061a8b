import type { ApiKeyRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { Principal } from './principal.js';
import type { ApiKeyObject } from './schemas.js';

/** The key row and organization as loaded, so /whoami is answered without the database. */
export type KeySnapshot = Readonly<{
  key: ApiKeyRow;
  organization: Readonly<{ id: string; name: string; plan: string }>;
  /** `key` as presented (present.ts), built once when loaded rather than on every GET /whoami. */
  apiKey: ApiKeyObject;
}>;

/** A verified key as the warm path needs it: everything to decide without the database. */
export type CachedKey = Readonly<{
  principal: Principal;
  /** The verification answer for this key, built once. */
  verified: Readonly<{ ok: true; principal: Principal }>;
  snapshot: KeySnapshot;
  hash: string;
  /** `hash` as bytes, for the constant-time comparison on every verification. */
  hashBytes: Buffer;
  /** Epoch ms after which this token is dead (key expiry, or end of a rotation grace); null: never. */
  validUntil: number | null;
}>;

type Entry = { key: CachedKey | null; storedAt: number };

const MAX_ENTRIES = 50_000;

/**
 * Token-hash -> verified key, so the warm path makes no database round trip. Entries are dropped
 * on edit, rotation and deletion (here and, through the invalidation bus, on every instance); the
 * TTL is the outer bound if an invalidation message is ever lost. Unknown hashes are remembered
 * too (null), so a flood of well-formed but unknown keys does not reach the database each time.
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly hashesByKey = new Map<string, Set<string>>();
  private readonly hashesByOrg = new Map<string, Set<string>>();
  private generationValue = 0;
  private enabled = true;

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** Bumped by every invalidation: a load that started before one must not be cached. */
  get generation(): number {
    return this.generationValue;
  }

  /** undefined: not cached; null: known unknown; otherwise the key. */
  get(hash: string): CachedKey | null | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (this.clock.nowMs() - entry.storedAt > this.ttlMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.key;
  }

  set(hash: string, key: CachedKey | null, generation: number): void {
    if (!this.enabled || generation !== this.generationValue) return;
    if (this.entries.size >= MAX_ENTRIES) this.evictOldest();
    this.entries.set(hash, { key, storedAt: this.clock.nowMs() });
    if (key) {
      addTo(this.hashesByKey, key.principal.keyId, hash);
      addTo(this.hashesByOrg, key.principal.organizationId, hash);
    }
  }

  /** The snapshot of a key verified through this cache and still cached. */
  snapshotOf(keyId: string): KeySnapshot | undefined {
    for (const hash of this.hashesByKey.get(keyId) ?? []) {
      const key = this.get(hash);
      if (key) return key.snapshot;
    }
    return undefined;
  }

  invalidateKey(keyId: string): void {
    this.generationValue++;
    this.dropAll(this.hashesByKey, keyId);
  }

  invalidateOrganization(organizationId: string): void {
    this.generationValue++;
    this.dropAll(this.hashesByOrg, organizationId);
  }

  /**
   * Fail closed: while invalidation messages may be missed (the bus is disconnected), every
   * verification reads the database. On reconnection the cache starts empty.
   */
  setEnabled(enabled: boolean): void {
    if (this.enabled === enabled) return;
    this.clear();
    this.enabled = enabled;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  clear(): void {
    this.generationValue++;
    this.entries.clear();
    this.hashesByKey.clear();
    this.hashesByOrg.clear();
  }

  private dropAll(index: Map<string, Set<string>>, id: string): void {
    const hashes = index.get(id);
    if (!hashes) return;
    for (const hash of hashes) this.entries.delete(hash);
    index.delete(id);
  }

  private evictOldest(): void {
    // Map keeps insertion order: the first tenth are the oldest entries.
    let n = Math.ceil(MAX_ENTRIES / 10);
    for (const hash of this.entries.keys()) {
      if (n-- <= 0) break;
      this.entries.delete(hash);
    }
  }
}

function addTo(index: Map<string, Set<string>>, id: string, hash: string): void {
  let set = index.get(id);
  if (!set) {
    set = new Set();
    index.set(id, set);
  }
  set.add(hash);
}
