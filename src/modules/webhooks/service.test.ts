import { describe, expect, it } from 'vitest';
import { operator } from '../api-keys/principal.js';
import { FIRST_PAGE } from '../../../test/app-errors.js';
import { BACKENDS } from '../../../test/harness.js';
import { MAX_WEBHOOKS_PER_PROJECT } from './service.js';
import { orgSuite } from '../../../test/org-suite.js';

// The per-project bound on webhook endpoints, on a real database, under concurrent creates.

for (const backend of BACKENDS) {
  describe(`webhook endpoints per project (${backend})`, () => {
    const suite = orgSuite(backend);

    it(`never lets concurrent creates take a project past ${MAX_WEBHOOKS_PER_PROJECT} endpoints`, async () => {
      const { ctx, acme } = suite;
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const create = (i: number) => ctx.deps.services.webhooks.create(actor, { endpoint: `https://hooks${i}.example.com/h`, events: ['email.sent'] });
      for (let i = 0; i < MAX_WEBHOOKS_PER_PROJECT - 2; i++) await create(i);
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => create(100 + i)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      for (const refused of results.filter((r) => r.status === 'rejected')) expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
      const listed = await ctx.deps.services.webhooks.list(actor, { ...FIRST_PAGE, limit: 100 });
      expect(listed.data).toHaveLength(MAX_WEBHOOKS_PER_PROJECT);
    });
  });
}
