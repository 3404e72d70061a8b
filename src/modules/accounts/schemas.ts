import { z } from 'zod';

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
  user: z.object({ id: z.string(), email: z.string() }).nullable(),
  organization: z.object({ id: z.string(), name: z.string(), plan: z.string() }).nullable(),
  /** Send it back as X-CSRF-Token on every state-changing dashboard request. */
  csrf_token: z.string(),
  expires_at: z.string().nullable(),
});
export type SessionObject = z.infer<typeof sessionObject>;
