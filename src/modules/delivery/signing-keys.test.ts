import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Database, Statement } from '../../db/client.js';
import { createSigningKeys } from './signing-keys.js';

// The key cache against a stand-in database that counts its reads: the domains table is one
// variable here.

const pemOf = (): string => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const digestOf = (pem: string): string => createHash('md5').update(pem).digest('hex');

function domainsTable(pem: string | undefined): { database: Database; reads: () => number; set(pem: string): void } {
  let current = pem;
  let reads = 0;
  const query = async <T>(statement: Statement): Promise<T[]> => {
    reads++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return (current === undefined || statement.values[0] !== 'dom_1' ? [] : [{ pem: current }]) as T[];
  };
  return { database: { query } as unknown as Database, reads: () => reads, set: (next) => (current = next) };
}

describe('signing keys', () => {
  it('are read once for the emails of a domain signed at once, then served parsed', async () => {
    const pem = pemOf();
    const table = domainsTable(pem);
    const keys = createSigningKeys(table.database);
    const domain = { id: 'dom_1', name: 'acme.test', status: 'verified', selector: 's1', keyDigest: digestOf(pem) };
    const signing = await Promise.all(Array.from({ length: 10 }, () => keys.keyFor(domain)));
    await keys.keyFor(domain);
    expect(table.reads()).toBe(1);
    expect(new Set(signing.map((k) => k.privateKey)).size).toBe(1);
    expect(signing[0]).toMatchObject({ domainName: 'acme.test', selector: 's1' });
  });

  it("are read again once the claim's digest says the key changed", async () => {
    const first = pemOf();
    const table = domainsTable(first);
    const keys = createSigningKeys(table.database);
    const before = await keys.keyFor({ id: 'dom_1', name: 'acme.test', status: 'verified', selector: 's1', keyDigest: digestOf(first) });
    const second = pemOf();
    table.set(second);
    const after = await keys.keyFor({ id: 'dom_1', name: 'acme.test', status: 'verified', selector: 's2', keyDigest: digestOf(second) });
    expect(table.reads()).toBe(2);
    expect(after.privateKey.export({ type: 'pkcs8', format: 'pem' })).toBe(second);
    expect(after.privateKey).not.toBe(before.privateKey);
  });

  it('refuse a domain whose key cannot be read (deleted since its claim)', async () => {
    const keys = createSigningKeys(domainsTable(undefined).database);
    await expect(keys.keyFor({ id: 'dom_1', name: 'gone.test', status: 'verified', selector: 's', keyDigest: 'x' })).rejects.toThrow(/could not be read/);
  });
});
