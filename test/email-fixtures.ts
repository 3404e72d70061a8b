import type { Deps } from '../src/app/deps.js';
import type { SendEmailInput } from '../src/modules/emails/schemas.js';
import type { Sender } from '../src/modules/emails/sending-rules.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';

// Small helpers shared by the email tests.

/** What the sending rules see of a key: live and unrestricted unless told otherwise. */
export function senderFor(org: OrganizationObject, overrides: Partial<Sender> = {}): Sender {
  return { organizationId: org.id, projectId: org.default_project_id, mode: 'live', domainIds: [], ...overrides };
}

/** A minimal valid JSON email from `from`; `extra` may add or spoil fields (tests of refusals). */
export function emailBody(from: string, extra: Record<string, unknown> = {}): SendEmailInput {
  return { from, to: 'rcpt@example.net', subject: 'Hello', text: 'Hi there', ...extra } as SendEmailInput;
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function countRows(deps: Deps, table: 'emails' | 'email_events' | 'email_messages' | 'idempotency_keys'): Promise<number> {
  const { sql } = await import('drizzle-orm');
  const result = (await deps.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: { n: number }[] };
  return Number(result.rows[0]!.n);
}
