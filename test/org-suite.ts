import { afterAll, beforeAll } from 'vitest';
import { orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type Backend, type TestContext } from './harness.js';

export type OrgSuite = { readonly ctx: TestContext; readonly acme: OrgFixture };

/**
 * The setup most suites share: a test context on `backend` with one organization ("acme") and its
 * full-access key, made before the suite's tests and closed after. Read `ctx` and `acme` inside a test.
 */
export function orgSuite(backend: Backend): OrgSuite {
  const suite = {} as { ctx: TestContext; acme: OrgFixture };
  beforeAll(async () => {
    suite.ctx = await createTestContext(backend);
    suite.acme = await orgWithKey(suite.ctx.deps, 'acme');
  });
  afterAll(async () => suite.ctx?.close());
  return suite;
}
