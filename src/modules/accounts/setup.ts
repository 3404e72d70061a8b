import { randomInt } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { setupCodes } from '../../db/schema.js';
import { AppError, validationError } from '../../lib/errors.js';
import { createOrganization, type OrganizationObject } from '../organizations/service.js';
import { hashPassword } from './passwords.js';
import { sha256Hex } from './secrets.js';
import { countUsers, insertUser, normaliseEmail, type AccountDeps, type UserObject } from './users.js';

// The first visit of an empty install claims it with a one-time code printed at start-up (the
// way Jenkins prints its initial password), so a stranger who reaches the page first cannot.
// The database keeps only the code's hash, in a single row; every start of an empty install
// prints a fresh code and replaces the row, so the code printed last is the one that works.

const SETUP_ID = 'owner';
// Crockford base32 without look-alikes: 20 characters carry 100 bits.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** A fresh setup code when nobody has an account yet (stored hashed), else undefined. */
export async function issueSetupCode(deps: AccountDeps): Promise<string | undefined> {
  if ((await countUsers(deps.db)) > 0) {
    await deps.db.delete(setupCodes);
    return undefined;
  }
  let raw = '';
  for (let i = 0; i < 20; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  const code = raw.match(/.{5}/g)!.join('-');
  const codeHash = sha256Hex(normaliseCode(code));
  await deps.db
    .insert(setupCodes)
    .values({ id: SETUP_ID, codeHash, createdAt: deps.clock.now() })
    .onConflictDoUpdate({ target: setupCodes.id, set: { codeHash, createdAt: deps.clock.now() } });
  return code;
}

export async function setupRequired(deps: AccountDeps): Promise<boolean> {
  return (await countUsers(deps.db)) === 0;
}

export type SetupInput = { setupCode: string; email: string; password: string; organizationName: string };

/**
 * Creates the owner account and its organization, once. The code row is deleted in the same
 * transaction that checks it, so two concurrent setups cannot both succeed.
 */
export async function completeSetup(
  deps: AccountDeps,
  input: SetupInput,
): Promise<{ user: UserObject; organization: OrganizationObject }> {
  const email = normaliseEmail(input.email);
  if (!(await setupRequired(deps))) throw alreadySetUp();
  const passwordHash = await hashPassword(input.password);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    // Security: looked up by hash; only the printed code's hash can match.
    const claimed = await tx
      .delete(setupCodes)
      .where(and(eq(setupCodes.id, SETUP_ID), eq(setupCodes.codeHash, sha256Hex(normaliseCode(input.setupCode)))))
      .returning({ id: setupCodes.id });
    if (claimed.length === 0) throw validationError('setup_code', 'is not the code printed when this server started');
    if ((await countUsers(tx)) > 0) throw alreadySetUp();
    const organization = await createOrganization({ db: tx, clock: deps.clock }, { name: input.organizationName });
    const user = await insertUser(tx, { organizationId: organization.id, email, passwordHash, now });
    return { user, organization };
  });
}

function alreadySetUp(): AppError {
  return new AppError('conflict', 'This Postgate is already set up: sign in instead');
}
