import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions, setupCodes, users } from '../../db/schema.js';
import { manualClock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import { createOrganization } from '../organizations/service.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { csrfTokenFor, sha256Hex } from './secrets.js';
import { endSession, resolveSession, SESSION_TTL_MS, startSession } from './sessions.js';
import { completeSetup, issueSetupCode, setupRequired } from './setup.js';
import { authenticateUser, createUser, type AccountDeps } from './users.js';

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

const owner = { email: 'Owner@Example.com', password: 'a long enough password', organizationName: 'Acme' };

for (const backend of BACKENDS) {
  describe(`accounts (${backend})`, () => {
    let ctx: TestContext;
    let deps: AccountDeps;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      deps = { db: ctx.deps.database.db, clock: ctx.deps.clock };
    });
    afterAll(async () => ctx?.close());

    describe('setup', () => {
      it('issues a code only while nobody has an account; a new code replaces the old one', async () => {
        expect(await setupRequired(deps)).toBe(true);
        const first = (await issueSetupCode(deps))!;
        const second = (await issueSetupCode(deps))!;
        expect(second).not.toBe(first);
        const rows = await deps.db.select().from(setupCodes);
        expect(rows).toHaveLength(1);
        // Only the hash is stored.
        expect(rows[0]!.codeHash).toBe(sha256Hex(second.replaceAll('-', '')));
        const stale = await errorOf(completeSetup(deps, { ...owner, setupCode: first }));
        expect(stale.code).toBe('validation_error');
        expect(stale.message).toMatch(/^setup_code: /);
      });

      it('lets exactly one of two concurrent setups with the right code through', async () => {
        const code = (await issueSetupCode(deps))!;
        const results = await Promise.allSettled([
          completeSetup(deps, { ...owner, setupCode: code }),
          completeSetup(deps, { ...owner, email: 'other@example.com', setupCode: code }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const [done] = results.filter((r) => r.status === 'fulfilled');
        expect(done!.value.user.email).toMatch(/@example\.com$/);
        expect(done!.value.organization.name).toBe('Acme');
        expect(await deps.db.select().from(users)).toHaveLength(1);
        expect(await setupRequired(deps)).toBe(false);
        expect(await issueSetupCode(deps)).toBeUndefined();
        expect(await deps.db.select().from(setupCodes)).toHaveLength(0);
        expect((await errorOf(completeSetup(deps, { ...owner, setupCode: code }))).code).toBe('conflict');
      });
    });

    describe('users', () => {
      it('creates users with a normalised, unique email in an existing organization', async () => {
        const org = await createOrganization(deps, { name: 'beta' });
        const user = await createUser(deps, { organizationId: org.id, email: '  Ann@Beta.example ', password: 'ann password 123' });
        expect(user).toMatchObject({ object: 'user', email: 'ann@beta.example', organization_id: org.id });
        expect(user.id).toMatch(/^usr_/);
        const [row] = await deps.db.select().from(users).where(eq(users.id, user.id));
        expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
        expect(row!.passwordHash).not.toContain('ann password');

        const duplicate = await errorOf(createUser(deps, { organizationId: org.id, email: 'ANN@beta.example', password: 'another password' }));
        expect(duplicate.message).toMatch(/^email: /);
        expect((await errorOf(createUser(deps, { organizationId: 'org_nope', email: 'x@beta.example', password: 'another password' }))).code).toBe('not_found');
        expect((await errorOf(createUser(deps, { organizationId: org.id, email: 'not an email', password: 'another password' }))).message).toMatch(/^email: /);
      });

      it('authenticates the right password only, whatever the email case', async () => {
        expect((await authenticateUser(deps, 'ANN@beta.example', 'ann password 123'))?.email).toBe('ann@beta.example');
        expect(await authenticateUser(deps, 'ann@beta.example', 'ann password 124')).toBeUndefined();
        expect(await authenticateUser(deps, 'nobody@beta.example', 'ann password 123')).toBeUndefined();
      });
    });

    describe('sessions', () => {
      let userId: string;
      beforeAll(async () => {
        userId = (await authenticateUser(deps, 'ann@beta.example', 'ann password 123'))!.id;
      });

      it('stores only the SHA-256 of the session id, and resolves the id to its user', async () => {
        const started = await startSession(deps, userId);
        expect(started.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(started.csrfToken).toBe(csrfTokenFor(started.sessionId));
        expect(started.csrfToken).not.toBe(started.sessionId);
        const [row] = await deps.db.select().from(sessions).where(eq(sessions.idHash, sha256Hex(started.sessionId)));
        expect(row!.userId).toBe(userId);
        const resolved = await resolveSession(deps, started.sessionId);
        expect(resolved).toMatchObject({ userId, email: 'ann@beta.example' });
        expect(resolved!.projectId).toMatch(/^proj_/);
      });

      it('forgets malformed, unknown, ended and expired ids; replacing ends the previous session', async () => {
        expect(await resolveSession(deps, 'short')).toBeUndefined();
        expect(await resolveSession(deps, 'A'.repeat(43))).toBeUndefined();

        const ended = await startSession(deps, userId);
        await endSession(deps, ended.sessionId);
        expect(await resolveSession(deps, ended.sessionId)).toBeUndefined();

        const old = await startSession({ ...deps, clock: manualClock(ctx.clock.nowMs() - SESSION_TTL_MS) }, userId);
        expect(await resolveSession(deps, old.sessionId)).toBeUndefined();
        expect(await deps.db.select().from(sessions).where(eq(sessions.idHash, sha256Hex(old.sessionId)))).toHaveLength(0);

        const before = await startSession(deps, userId);
        const after = await startSession(deps, userId, before.sessionId);
        expect(await resolveSession(deps, before.sessionId)).toBeUndefined();
        expect(await resolveSession(deps, after.sessionId)).toBeDefined();
      });
    });
  });
}
