import { createSocket, type Socket } from 'node:dgram';
import { createSign, createVerify } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { domains } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { operator, type Actor } from '../api-keys/principal.js';
import { createOrganization } from '../organizations/service.js';
import { appErrorOf, FIRST_PAGE } from '../../../test/app-errors.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { start, type TestDnsServer } from '../../../test/dns-server.js';
import type { DomainObject, DomainRecord } from './schemas.js';
import {
  createDomain,
  deleteDomain,
  getDomain,
  getSendingDomain,
  listDomains,
  verifyDomain,
  type DomainDeps,
} from './service.js';



function recordOf(domain: DomainObject, record: DomainRecord['record']): DomainRecord {
  const found = domain.records.find((r) => r.record === record);
  if (!found) throw new Error(`no ${record} record`);
  return found;
}

function statuses(domain: DomainObject): Record<string, string> {
  return Object.fromEntries(domain.records.map((r) => [r.record, r.status]));
}

/** Publishes the DKIM record split in two character-strings, as DNS hosts serve long records. */
function publishDkim(dns: TestDnsServer, domain: DomainObject): void {
  const dkim = recordOf(domain, 'DKIM');
  dns.setTxt(dkim.name, [[dkim.value.slice(0, 200), dkim.value.slice(200)]]);
}

function publishOwnership(dns: TestDnsServer, domain: DomainObject): void {
  const ownership = recordOf(domain, 'Verification');
  dns.setTxt(ownership.name, ['some-other-service=abc', ownership.value]);
}

for (const backend of BACKENDS) {
  describe(`domains service (${backend})`, () => {
    let ctx: TestContext;
    let dns: TestDnsServer;
    let deps: DomainDeps;
    let a: Actor;
    let b: Actor;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      dns = await start();
      deps = { db: ctx.deps.database.db, clock: ctx.clock, dnsServers: [dns.address], dnsTimeoutMs: 1_000 };
      const actorOf = async (name: string): Promise<Actor> => {
        const org = await createOrganization({ db: deps.db, clock: ctx.clock }, { name });
        return operator(org.id, org.default_project_id);
      };
      a = await actorOf('org-a');
      b = await actorOf('org-b');
    });
    afterAll(async () => {
      await dns?.close();
      await ctx?.close();
    });
    beforeEach(() => dns.clear());

    it('creates a domain with ownership, DKIM and SPF records, all not started', async () => {
      const domain = await createDomain(deps, a, { name: 'Create.Example.COM.' });
      expect(domain).toMatchObject({ object: 'domain', name: 'create.example.com', status: 'not_started', last_checked_at: null });
      expect(domain.id).toMatch(/^dom_/);
      expect(new Date(domain.created_at).getTime()).toBe(ctx.clock.nowMs());
      const ownership = recordOf(domain, 'Verification');
      expect(ownership).toMatchObject({ name: '_postgate.create.example.com', type: 'TXT', status: 'not_started', required: true });
      expect(ownership.value).toMatch(/^postgate-verification=[0-9a-f]{32}$/);
      const dkim = recordOf(domain, 'DKIM');
      expect(dkim.name).toMatch(/^postgate-[0-9a-f]{10}\._domainkey\.create\.example\.com$/);
      expect(dkim).toMatchObject({ type: 'TXT', status: 'not_started', required: true });
      expect(dkim.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
      expect(recordOf(domain, 'SPF')).toMatchObject({ name: 'create.example.com', type: 'TXT', required: false });
    });

    it('never returns the DKIM private key, and the published key is the one it signs with', async () => {
      const created = await createDomain(deps, a, { name: 'secret.example.com' });
      const [row] = await deps.db.select().from(domains).where(eq(domains.id, created.id));
      const privateBody = row!.dkimPrivateKey.split('\n').slice(1, -2).join('');
      for (const shown of [created, await getDomain(deps, a, created.id), await verifyDomain(deps, a, created.id), await listDomains(deps, a, FIRST_PAGE)]) {
        const json = JSON.stringify(shown);
        expect(json).not.toContain('PRIVATE');
        expect(json).not.toContain(privateBody.slice(0, 40));
        expect(json).not.toMatch(/private/i);
      }
      const publicKey = recordOf(created, 'DKIM').value.split('p=')[1]!;
      const signature = createSign('sha256').update('message').sign(row!.dkimPrivateKey);
      const spki = `-----BEGIN PUBLIC KEY-----\n${publicKey}\n-----END PUBLIC KEY-----\n`;
      expect(createVerify('sha256').update('message').verify(spki, signature)).toBe(true);
    });

    it('refuses an invalid name and a duplicate (any case) with a 422 naming name', async () => {
      const invalid = await appErrorOf(createDomain(deps, a, { name: '127.0.0.1' }));
      expect(invalid.code).toBe('validation_error');
      expect(invalid.details).toEqual({ field: 'name' });
      await createDomain(deps, a, { name: 'dup.example.com' });
      const duplicate = await appErrorOf(createDomain(deps, a, { name: 'DUP.example.com.' }));
      expect(duplicate.code).toBe('validation_error');
      expect(duplicate.message).toMatch(/^name: .*already exists/);
      // Another organization may claim the same name (each proves it with its own token and key).
      const other = await createDomain(deps, b, { name: 'dup.example.com' });
      expect(other.status).toBe('not_started');
    });

    it('two concurrent creates of one name: one domain, the other a 422', async () => {
      const results = await Promise.allSettled([
        createDomain(deps, a, { name: 'race.example.com' }),
        createDomain(deps, a, { name: 'race.example.com' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(AppError);
      expect((rejected.reason as AppError).code).toBe('validation_error');
    });

    it('nothing published: not verified, and every record failed', async () => {
      const domain = await createDomain(deps, a, { name: 'empty.example.com' });
      const checked = await verifyDomain(deps, a, domain.id);
      expect(checked.status).toBe('failed');
      expect(statuses(checked)).toEqual({ Verification: 'failed', DKIM: 'failed', SPF: 'failed' });
      expect(checked.last_checked_at).toBe(ctx.clock.now().toISOString());
      expect((await getDomain(deps, a, domain.id)).status).toBe('failed');
    });

    it('ownership and DKIM published (DKIM split over two strings): verified, SPF optional', async () => {
      const domain = await createDomain(deps, a, { name: 'good.example.com' });
      publishOwnership(dns, domain);
      publishDkim(dns, domain);
      const checked = await verifyDomain(deps, a, domain.id);
      expect(checked.status).toBe('verified');
      expect(statuses(checked)).toEqual({ Verification: 'verified', DKIM: 'verified', SPF: 'failed' });
      const sending = await getSendingDomain(deps.db, a.organizationId, 'Good.Example.com.');
      expect(sending).toMatchObject({ id: domain.id, name: 'good.example.com', status: 'verified' });
      expect(sending?.dkimSelector).toBe(recordOf(domain, 'DKIM').name.split('.')[0]);
      expect(sending?.dkimPrivateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    });

    it('one SPF record counts as SPF verified; two SPF records do not', async () => {
      const domain = await createDomain(deps, a, { name: 'spf.example.com' });
      publishOwnership(dns, domain);
      publishDkim(dns, domain);
      dns.setTxt('spf.example.com', ['google-site-verification=x', 'v=spf1 ip4:192.0.2.1 ~all']);
      expect(statuses(await verifyDomain(deps, a, domain.id)).SPF).toBe('verified');
      dns.setTxt('spf.example.com', ['v=spf1 ip4:192.0.2.1 ~all', 'v=spf1 a -all']);
      const checked = await verifyDomain(deps, a, domain.id);
      expect(statuses(checked).SPF).toBe('failed');
      expect(checked.status).toBe('verified');
    });

    it('a wrong ownership token or another DKIM key: not verified, naming the wrong record', async () => {
      const domain = await createDomain(deps, a, { name: 'wrong.example.com' });
      const stranger = await createDomain(deps, b, { name: 'wrong.example.com' });
      dns.setTxt(recordOf(domain, 'Verification').name, [recordOf(stranger, 'Verification').value]);
      publishDkim(dns, domain);
      let checked = await verifyDomain(deps, a, domain.id);
      expect(checked.status).toBe('failed');
      expect(statuses(checked)).toMatchObject({ Verification: 'failed', DKIM: 'verified' });

      publishOwnership(dns, domain);
      dns.setTxt(recordOf(domain, 'DKIM').name, [recordOf(stranger, 'DKIM').value]);
      checked = await verifyDomain(deps, a, domain.id);
      expect(checked.status).toBe('failed');
      expect(statuses(checked)).toMatchObject({ Verification: 'verified', DKIM: 'failed' });
    });

    it('a verified domain whose records are removed fails at the next check', async () => {
      const domain = await createDomain(deps, a, { name: 'removed.example.com' });
      publishOwnership(dns, domain);
      publishDkim(dns, domain);
      expect((await verifyDomain(deps, a, domain.id)).status).toBe('verified');
      dns.clear();
      expect((await verifyDomain(deps, a, domain.id)).status).toBe('failed');
    });

    it('a DNS server that never answers: not verified, no error', async () => {
      const silent: Socket = createSocket('udp4');
      await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
      try {
        const domain = await createDomain(deps, a, { name: 'timeout.example.com' });
        const slowDeps = { ...deps, dnsServers: [`127.0.0.1:${silent.address().port}`], dnsTimeoutMs: 100 };
        const checked = await verifyDomain(slowDeps, a, domain.id);
        expect(checked.status).toBe('failed');
        expect(statuses(checked)).toEqual({ Verification: 'failed', DKIM: 'failed', SPF: 'failed' });
      } finally {
        silent.close();
      }
    });

    it("another organization's domain is not found, for every operation", async () => {
      const domain = await createDomain(deps, a, { name: 'private.example.com' });
      for (const attempt of [getDomain, verifyDomain, deleteDomain]) {
        const error = await appErrorOf(attempt(deps, b, domain.id));
        expect(error.code).toBe('not_found');
      }
      expect((await listDomains(deps, b, FIRST_PAGE)).data.map((d) => d.id)).not.toContain(domain.id);
      expect(await getSendingDomain(deps.db, b.organizationId, 'private.example.com')).toBeUndefined();
      expect((await getDomain(deps, a, domain.id)).status).toBe('not_started');
    });

    it('lists newest first without records, with after and before cursors', async () => {
      const c = await createTestContext(backend);
      try {
        const org = await createOrganization({ db: c.deps.database.db, clock: c.clock }, { name: 'lister' });
        const actor: Actor = operator(org.id, org.default_project_id);
        const d = { ...deps, db: c.deps.database.db, clock: c.clock };
        const ids: string[] = [];
        for (const name of ['one.example.com', 'two.example.com', 'three.example.com']) {
          c.clock.advance(1_000);
          ids.push((await createDomain(d, actor, { name })).id);
        }
        const all = await listDomains(d, actor, FIRST_PAGE);
        expect(all).toMatchObject({ object: 'list', has_more: false });
        expect(all.data.map((x) => x.name)).toEqual(['three.example.com', 'two.example.com', 'one.example.com']);
        expect(Object.keys(all.data[0]!).sort()).toEqual(['capabilities', 'click_tracking', 'created_at', 'custom_return_path', 'id', 'name', 'object', 'open_tracking', 'region', 'status', 'tls']);
        const first = await listDomains(d, actor, { direction: 'after', id: undefined, limit: 1 });
        expect(first).toMatchObject({ has_more: true, data: [{ id: ids[2] }] });
        const next = await listDomains(d, actor, { direction: 'after', id: ids[2], limit: 1 });
        expect(next).toMatchObject({ has_more: true, data: [{ id: ids[1] }] });
        const back = await listDomains(d, actor, { direction: 'before', id: ids[0], limit: 5 });
        expect(back).toMatchObject({ has_more: false, data: [{ id: ids[2] }, { id: ids[1] }] });
      } finally {
        await c.close();
      }
    });

    it('deletes a domain: it is gone from reads, lists and sending lookups', async () => {
      const domain = await createDomain(deps, a, { name: 'gone.example.com' });
      expect(await deleteDomain(deps, a, domain.id)).toEqual({ object: 'domain', id: domain.id, deleted: true });
      expect((await appErrorOf(getDomain(deps, a, domain.id))).code).toBe('not_found');
      expect((await appErrorOf(deleteDomain(deps, a, domain.id))).code).toBe('not_found');
      expect((await listDomains(deps, a, FIRST_PAGE)).data.map((d) => d.id)).not.toContain(domain.id);
      expect(await getSendingDomain(deps.db, a.organizationId, 'gone.example.com')).toBeUndefined();
      // The name is free again.
      expect((await createDomain(deps, a, { name: 'gone.example.com' })).id).not.toBe(domain.id);
    });
  });
}
