import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { events, suppressions } from '../../db/schema-events.js';
import { newId } from '../../lib/ids.js';
import { createOrganization, type OrganizationObject } from '../organizations/service.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { suppressAddresses, suppressionAddress } from './suppress.js';

// What the delivery worker calls on a hard bounce or a complaint, inside its own transaction.

describe('suppressionAddress', () => {
  it('trims, lower-cases the whole address and puts the domain in punycode', () => {
    expect(suppressionAddress('  Bob@Example.COM ')).toBe('bob@example.com');
    expect(suppressionAddress('ana@bücher.example')).toBe('ana@xn--bcher-kva.example');
  });

  it('is undefined for what Postgate would never send to', () => {
    for (const text of ['', 'bob', 'bob@', '@example.com', 'a b@example.com', 'Bob <bob@example.com>', 'bob@exa\nmple.com']) {
      expect(suppressionAddress(text), JSON.stringify(text)).toBeUndefined();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`suppressAddresses (${backend})`, () => {
    let ctx: TestContext;
    let org: OrganizationObject;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      org = await createOrganization({ db: ctx.deps.database.db, clock: ctx.clock }, { name: 'bounces' });
    });
    afterAll(async () => ctx?.close());

    const db = () => ctx.deps.database.db;
    const input = (emails: string[], origin: 'bounce' | 'complaint' = 'bounce', sourceId = newId('email')) =>
      ({ organizationId: org.id, projectId: org.default_project_id, emails, origin, sourceId, at: ctx.clock.now() }) as const;
    const addedEvents = async () => (await db().select().from(events).where(eq(events.organizationId, org.id))).filter((e) => e.type === 'suppression.added');

    it('inserts only the addresses not yet suppressed, with one suppression.added event each and no audit event', async () => {
      const bounce = input(['First@example.com', 'second@example.com', 'first@example.com', 'not an address']);
      await db().transaction((tx) => suppressAddresses(tx, bounce));
      const rows = await db().select().from(suppressions).where(eq(suppressions.organizationId, org.id));
      expect(rows.map((r) => r.email).sort()).toEqual(['first@example.com', 'second@example.com']);
      expect(rows.every((r) => r.origin === 'bounce' && r.sourceId === bounce.sourceId && r.projectId === org.default_project_id)).toBe(true);
      const first = rows.find((r) => r.email === 'first@example.com')!;
      const stored = await addedEvents();
      expect(stored).toHaveLength(2);
      expect(stored.find((e) => JSON.stringify(e.payload).includes(first.id))?.payload).toEqual({
        type: 'suppression.added',
        created_at: ctx.clock.now().toISOString(),
        data: { id: first.id, email: 'first@example.com', origin: 'bounce', source_id: bounce.sourceId, created_at: ctx.clock.now().toISOString() },
      });

      // A complaint from one of them later: the existing row (and its origin) stays, the new one is added.
      ctx.clock.advance(1_000);
      await db().transaction((tx) => suppressAddresses(tx, input(['second@example.com', 'third@example.com'], 'complaint')));
      const after = await db().select().from(suppressions).where(eq(suppressions.organizationId, org.id));
      expect(after.map((r) => [r.email, r.origin]).sort()).toEqual([
        ['first@example.com', 'bounce'],
        ['second@example.com', 'bounce'],
        ['third@example.com', 'complaint'],
      ]);
      expect(await addedEvents()).toHaveLength(3);
      expect(await db().select().from(auditEvents).where(eq(auditEvents.organizationId, org.id)).then((r) => r.filter((e) => e.action.startsWith('suppression.')))).toEqual([]);
    });

    it("commits or rolls back with the caller's transaction", async () => {
      const rollback = new Error('the rest of the outcome failed');
      await expect(
        db().transaction(async (tx) => {
          await suppressAddresses(tx, input(['rolled-back@example.com']));
          throw rollback;
        }),
      ).rejects.toBe(rollback);
      expect(await db().select().from(suppressions).where(eq(suppressions.email, 'rolled-back@example.com'))).toEqual([]);
      expect((await addedEvents()).filter((e) => JSON.stringify(e.payload).includes('rolled-back@'))).toEqual([]);
    });

    it('does nothing for an empty list or one with no address', async () => {
      const before = (await addedEvents()).length;
      await suppressAddresses(db(), input([]));
      await suppressAddresses(db(), input(['nobody', '']));
      expect(await addedEvents()).toHaveLength(before);
    });
  });
}
