import type { Db } from '../../db/client.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { getSendingDomain, type SendingDomain } from '../domains/service.js';

// The sending domain of (organization, name), looked up once per second rather than once per
// email: at thousands of emails a second the SELECT was one of the acceptance's round trips.
//
// Staleness is bounded and only ever in one direction for live keys: a verified domain is reused
// for at most `ttlMs`, so a domain deleted or failing re-verification may still be used by a live
// key for that long (the worker re-reads the domain before signing, so a deleted one is failed
// there, never sent unsigned). Anything that would REFUSE a live key (unknown, pending) is never
// served from the cache, so a domain verified a moment ago is usable at once. Test-mode keys
// accept any cached answer: their mail is only captured.

export type SendingDomainLookup = (organizationId: string, name: string, mode: 'live' | 'test') => Promise<SendingDomain | undefined>;

type Entry = { domain: SendingDomain | undefined; at: number };

export type DomainCacheOptions = Readonly<{
  /** At most 1 s: how long a domain's deletion or loss of verification may go unseen here. */
  ttlMs?: number;
  /** Entries kept before the cache is emptied (one per organization and domain name in use). */
  maxEntries?: number;
  /** The application's clock (a test's manual clock included). */
  clock?: Clock;
}>;

export function cachedSendingDomains(db: Db, options: DomainCacheOptions = {}): SendingDomainLookup {
  const ttlMs = Math.min(options.ttlMs ?? 1_000, 1_000);
  const maxEntries = options.maxEntries ?? 10_000;
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  return async (organizationId, name, mode) => {
    const key = `${organizationId}\n${name}`;
    const entry = entries.get(key);
    if (entry && clock.nowMs() - entry.at < ttlMs && (mode === 'test' || entry.domain?.status === 'verified')) return entry.domain;
    const at = clock.nowMs();
    const domain = await getSendingDomain(db, organizationId, name);
    if (entries.size >= maxEntries) entries.clear();
    entries.set(key, { domain, at });
    return domain;
  };
}
