/**
 * A Map with a ceiling, for per-key state in one process (limits, memos). Keys come from clients
 * (IPs, organizations, domains), so without a ceiling a flood of distinct addresses would grow memory without
 * end. At the ceiling, stale entries are swept first; if that is not enough the oldest tenth is
 * dropped (those keys start afresh: a lenient failure, never a wrong refusal), which also keeps
 * the sweep's cost amortized when the map is full of live entries.
 */
export class BoundedMap<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly maxEntries: number,
    private readonly isStale: (value: V) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) this.makeRoom();
    this.entries.set(key, value);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private makeRoom(): void {
    for (const [key, value] of this.entries) {
      if (this.isStale(value)) this.entries.delete(key);
    }
    if (this.entries.size < this.maxEntries) return;
    const target = Math.floor(this.maxEntries * 0.9);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= target) break;
      this.entries.delete(key);
    }
  }
}
