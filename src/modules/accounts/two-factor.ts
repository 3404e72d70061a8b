import { randomInt } from 'node:crypto';
import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { recoveryCodes, users, type UserRow } from '../../db/schema.js';
import { AppError, validationError } from '../../lib/errors.js';
import { recordAudit } from '../audit/record.js';
import type { Member } from '../team/roles.js';
import type { SecretBox } from './secret-box.js';
import { sha256Hex } from './secrets.js';
import type { AccountDeps } from './users.js';

// TOTP two-factor sign-in (RFC 6238 through the `otpauth` package: SHA-1, 6 digits, 30 s, the
// parameters every authenticator app understands). The secret is stored sealed with the install's
// key (secret-box.ts), bound to the user's row; recovery codes are stored as SHA-256 hashes and
// each works once. Enrolment is two steps: a secret is proposed, then a first code confirms the
// user's app holds it, and only then is sign-in asked for a code.

export type TwoFactorDeps = AccountDeps & Readonly<{ box: SecretBox }>;

const ISSUER = 'Postgate';
const SECRET_PURPOSE = 'totp-secret';
export const RECOVERY_CODE_COUNT = 10;
// Crockford base32 without look-alikes; 16 characters carry 80 bits, enough that a stolen table
// of their SHA-256 hashes cannot be reversed by guessing.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function totpFor(secret: OTPAuth.Secret, email: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: ISSUER, label: email, algorithm: 'SHA1', digits: 6, period: 30, secret });
}

async function userRow(deps: AccountDeps, userId: string): Promise<UserRow> {
  const [row] = await deps.db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!row) throw new AppError('not_found', 'User not found');
  return row;
}

/** Proposes a new secret (replacing an unconfirmed one). Shown once: the URI for a QR code, the secret as text. */
export async function enrollTwoFactor(deps: TwoFactorDeps, member: Member): Promise<{ object: 'two_factor_enrollment'; secret: string; otpauth_uri: string }> {
  const row = await userRow(deps, member.userId);
  if (row.totpEnabledAt) throw new AppError('conflict', 'Two-factor sign-in is already enabled: disable it first to set up a new authenticator');
  const secret = new OTPAuth.Secret({ size: 20 });
  const sealed = deps.box.seal(SECRET_PURPOSE, secret.base32, row.id);
  await deps.db.update(users).set({ totpSecret: sealed }).where(and(eq(users.id, row.id), isNull(users.totpEnabledAt)));
  return { object: 'two_factor_enrollment', secret: secret.base32, otpauth_uri: totpFor(secret, row.email).toString() };
}

/** Whether `code` is the user's current TOTP code (one step of clock drift either way), used once. */
async function checkTotp(deps: TwoFactorDeps, row: UserRow, code: string): Promise<boolean> {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token) || !row.totpSecret) return false;
  const base32 = deps.box.open(SECRET_PURPOSE, row.totpSecret, row.id);
  if (base32 === undefined) return false;
  const totp = totpFor(OTPAuth.Secret.fromBase32(base32), row.email);
  const timestamp = deps.clock.nowMs();
  const delta = totp.validate({ token, timestamp, window: 1 });
  if (delta === null) return false;
  // Claimed in the database, in one statement: a code seen over a shoulder or through a phishing
  // proxy cannot be used a second time, on this instance or any other, nor an older one after it.
  const step = totp.counter({ timestamp }) + delta;
  const claimed = await deps.db
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, row.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return claimed.length > 0;
}

function newRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < 16; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return raw.match(/.{4}/g)!.join('-');
}

const normaliseRecoveryCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, '');

// Set-up and disabling are acts of a signed-in member, so a wrong code there is bad input (422);
// at sign-in it is a failed authentication (invalid_two_factor_code, counted by the throttle).
function wrongCode(): AppError {
  return validationError('code', 'is not the current code of your authenticator (or was used already): check the time on your device and try the next code');
}

const memberTarget = (member: Member) => [{ type: 'member', id: member.userId, name: member.email }];

/** Confirms the proposed secret with a first code: two-factor is on, and the recovery codes are returned once. */
export async function confirmTwoFactor(deps: TwoFactorDeps, member: Member, code: string): Promise<{ object: 'two_factor'; enabled: true; recovery_codes: string[] }> {
  const row = await userRow(deps, member.userId);
  if (row.totpEnabledAt || !row.totpSecret) throw new AppError('conflict', 'No two-factor set-up is waiting for confirmation: start one first');
  if (!(await checkTotp(deps, row, code))) throw wrongCode();
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await deps.db.transaction(async (tx) => {
    const enabled = await tx
      .update(users)
      .set({ totpEnabledAt: deps.clock.now() })
      .where(and(eq(users.id, row.id), isNull(users.totpEnabledAt), eq(users.totpSecret, row.totpSecret!)))
      .returning({ id: users.id });
    if (enabled.length === 0) throw new AppError('conflict', 'The two-factor set-up changed meanwhile: start again');
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, row.id));
    // Security: only hashes are stored; the codes themselves exist in this reply only.
    await tx.insert(recoveryCodes).values(codes.map((c) => ({ userId: row.id, codeHash: sha256Hex(normaliseRecoveryCode(c)) })));
    await recordAudit(tx, deps.clock, member.actor, { action: 'member.two_factor_enabled', targets: memberTarget(member), projectId: null });
  });
  return { object: 'two_factor', enabled: true, recovery_codes: codes };
}

/** Turns two-factor off; a current TOTP code is required, so a borrowed session alone cannot. */
export async function disableTwoFactor(deps: TwoFactorDeps, member: Member, code: string): Promise<{ object: 'two_factor'; enabled: false }> {
  const row = await userRow(deps, member.userId);
  if (!row.totpEnabledAt) throw new AppError('conflict', 'Two-factor sign-in is not enabled');
  if (!(await checkTotp(deps, row, code))) throw wrongCode();
  await deps.db.transaction(async (tx) => {
    await tx.update(users).set({ totpSecret: null, totpEnabledAt: null }).where(eq(users.id, row.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, row.id));
    await recordAudit(tx, deps.clock, member.actor, { action: 'member.two_factor_disabled', targets: memberTarget(member), projectId: null });
  });
  return { object: 'two_factor', enabled: false };
}

/** The sign-in's second step: a current TOTP code, or an unused recovery code (then spent). */
export async function verifySecondFactor(deps: TwoFactorDeps, userId: string, code: string): Promise<boolean> {
  const [row] = await deps.db.select().from(users).where(and(eq(users.id, userId), isNotNull(users.totpEnabledAt))).limit(1);
  if (!row || code.length > 64) return false;
  if (/^\s*\d{3}\s?\d{3}\s*$/.test(code)) return checkTotp(deps, row, code);
  // Spent in the statement that checks it, so two concurrent uses cannot both succeed.
  const spent = await deps.db
    .update(recoveryCodes)
    .set({ usedAt: deps.clock.now() })
    .where(and(eq(recoveryCodes.userId, row.id), eq(recoveryCodes.codeHash, sha256Hex(normaliseRecoveryCode(code))), isNull(recoveryCodes.usedAt)))
    .returning({ userId: recoveryCodes.userId });
  return spent.length > 0;
}

/** Unused recovery codes left (the account page warns when few remain). */
export async function recoveryCodesLeft(deps: AccountDeps, userId: string): Promise<number> {
  const rows = await deps.db.select({ h: recoveryCodes.codeHash }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return rows.length;
}
