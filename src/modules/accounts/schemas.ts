import { z } from 'zod';
import { MEMBER_ROLES } from '../team/roles.js';

// Request and response shapes of the dashboard's session routes. Lengths are capped here; the
// services check the rest (email shape, password length) so the CLI gets the same rules.

export const loginBody = z.strictObject({
  email: z.string().max(254),
  password: z.string().min(1).max(1024),
});

export const setupBody = z.strictObject({
  setup_code: z.string().min(1).max(64),
  email: z.string().max(254),
  password: z.string().max(1024),
  organization_name: z.string().max(100),
});

export const sessionObject = z.object({
  object: z.literal('session'),
  /** True until the owner account exists: the dashboard then shows the setup page. */
  setup_required: z.boolean(),
  user: z.object({ id: z.string(), email: z.string(), role: z.enum(MEMBER_ROLES), two_factor_enabled: z.boolean() }).nullable(),
  organization: z.object({ id: z.string(), name: z.string(), plan: z.string() }).nullable(),
  /** The project the dashboard shows (POST /dashboard/api/session/project switches it). */
  project_id: z.string().nullable().optional(),
  /** Send it back as X-CSRF-Token on every state-changing dashboard request. */
  csrf_token: z.string(),
  expires_at: z.string().nullable(),
});
export type SessionObject = z.infer<typeof sessionObject>;

export const switchProjectBody = z.strictObject({ project_id: z.string().min(1).max(64) });

/** The sign-in's answer for an account with two-factor on: no session yet, a challenge to answer with a code. */
export const twoFactorChallenge = z.object({
  object: z.literal('two_factor_challenge'),
  /** Send it back with the code to /dashboard/api/login/two-factor. Not a session: it opens nothing. */
  challenge: z.string(),
  expires_at: z.string(),
});

export const twoFactorLoginBody = z.strictObject({
  challenge: z.string().min(1).max(512),
  /** The authenticator's 6-digit code, or one of the recovery codes. */
  code: z.string().min(1).max(64),
});

export const codeBody = z.strictObject({ code: z.string().min(1).max(64) });

export const twoFactorEnrollment = z.object({ object: z.literal('two_factor_enrollment'), secret: z.string(), otpauth_uri: z.string() });
export const twoFactorState = z.object({
  object: z.literal('two_factor'),
  enabled: z.boolean(),
  /** Only in the reply that enables two-factor: shown once, stored hashed. */
  recovery_codes: z.array(z.string()).optional(),
  recovery_codes_left: z.number().int().optional(),
});

export const sessionSummary = z.object({
  object: z.literal('session_summary'),
  id: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  current: z.boolean(),
});
