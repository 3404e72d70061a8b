import type { Member } from '../team/roles.js';
import { issueChallenge, readChallenge, type Challenge } from './sign-in-challenge.js';
import type { SecretBox } from './secret-box.js';
import {
  confirmTwoFactor,
  disableTwoFactor,
  enrollTwoFactor,
  recoveryCodesLeft,
  verifySecondFactor,
  type TwoFactorDeps,
} from './two-factor.js';
import type { AccountDeps } from './users.js';

/** Two-factor set-up and the sign-in's second step, bound to their deps once (app/services.ts). */
export type TwoFactorService = Readonly<{
  enroll(member: Member): ReturnType<typeof enrollTwoFactor>;
  confirm(member: Member, code: string): ReturnType<typeof confirmTwoFactor>;
  disable(member: Member, code: string): ReturnType<typeof disableTwoFactor>;
  recoveryCodesLeft(userId: string): Promise<number>;
  /** After the right password of a user with two-factor on: the challenge to answer with a code. */
  challenge(userId: string): Challenge;
  /** The user a challenge was issued to, if it is genuine and unexpired. */
  readChallenge(challenge: string): string | undefined;
  /** A current TOTP code or an unused recovery code of the user (the recovery code is spent). */
  verify(userId: string, code: string): Promise<boolean>;
}>;

export function createTwoFactorService(deps: AccountDeps & { box: SecretBox }): TwoFactorService {
  const full: TwoFactorDeps = deps;
  return {
    enroll: (member) => enrollTwoFactor(full, member),
    confirm: (member, code) => confirmTwoFactor(full, member, code),
    disable: (member, code) => disableTwoFactor(full, member, code),
    recoveryCodesLeft: (userId) => recoveryCodesLeft(full, userId),
    challenge: (userId) => issueChallenge(full, userId),
    readChallenge: (challenge) => readChallenge(full, challenge),
    verify: (userId, code) => verifySecondFactor(full, userId, code),
  };
}
