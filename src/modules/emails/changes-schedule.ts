import { and, eq, gt, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailEvents, emailMessages, emails } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Actor } from '../api-keys/principal.js';
import { recordAudit } from '../audit/record.js';
import type { Wakeup } from '../queue/wakeup.js';
import { emailsReadableBy } from './queries.js';
import type { EmailRef, RescheduleInput } from './change-schemas.js';
import { parseScheduledAt } from './prepare.js';

// Rescheduling and canceling an email while it is still scheduled. The decision is ONE
// conditional UPDATE whose WHERE is "still scheduled" (below), in a transaction that locks the
// row first. The delivery worker's claim (queue/leased-table.ts) locks due `queued` rows FOR
// UPDATE SKIP LOCKED and marks them `sending`: it skips a row being changed here, and a change
// that meets a claim in progress waits for it and re-checks its WHERE on the row the claim left.
// So a claimed email is never canceled or moved, and a canceled one is never claimed (the claim
// takes only `queued` and `sending` rows). Times are the database's, the clock the claim reads.

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type ScheduleChangeDeps = Readonly<{ db: Db; clock: Clock; queue: Wakeup }>;

/**
 * Waiting for its first attempt at a scheduled time still ahead: never attempted, and not due,
 * so no worker can have claimed it or be about to. next_attempt_at is the schedule for such an
 * email (the acceptance wrote both); both are checked, so a row a retry requeued never passes.
 */
function stillScheduled(): SQL {
  return and(eq(emails.status, 'queued'), eq(emails.attempts, 0), isNotNull(emails.scheduledAt), gt(emails.scheduledAt, sql`now()`), gt(emails.nextAttemptAt, sql`now()`))!;
}

type Locked = Readonly<{ projectId: string; scheduledAt: Date | null; status: string; lastEvent: string }>;

/**
 * PATCH /emails/{id} {scheduled_at}: the email is due at the new time. A time now or past means
 * "send now": it becomes due at once and this process's worker is woken. A JSON email's Date
 * header (its composition's `date`, compose.ts) follows the schedule, as at acceptance: the new
 * time, or now for "send now"; an SMTP message keeps the Date its sender wrote.
 */
export async function rescheduleEmail(deps: ScheduleChangeDeps, actor: Actor, id: string, input: RescheduleInput): Promise<EmailRef> {
  const now = deps.clock.now();
  const at = parseScheduledAt(input.scheduled_at, 'scheduled_at', now);
  const sendNow = at.getTime() <= now.getTime();
  await deps.db.transaction(async (tx) => {
    const locked = await lockEmail(tx, actor, id);
    const [changed] = await tx
      .update(emails)
      // Sending now is due now, never at a past instant that would put it ahead of others' due mail.
      .set({ scheduledAt: at, nextAttemptAt: sendNow ? now : at, updatedAt: now })
      .where(and(eq(emails.id, id), stillScheduled()))
      .returning({ id: emails.id });
    if (!changed) throw notScheduled(locked);
    await tx
      .update(emailMessages)
      .set({ composition: sql`jsonb_set(${emailMessages.composition}, '{date}', to_jsonb(${(sendNow ? now : at).toISOString()}::text))` })
      .where(and(eq(emailMessages.emailId, id), isNotNull(emailMessages.composition)));
    const changes = { scheduled_at: { before: locked.scheduledAt?.toISOString() ?? null, after: at.toISOString() } };
    await recordAudit(tx, deps.clock, actor, { action: 'email.rescheduled', targets: [{ type: 'email', id }], changes, projectId: locked.projectId });
  });
  if (sendNow) deps.queue.wake();
  return { object: 'email', id };
}

/** POST /emails/{id}/cancel: the email is `canceled` and never delivered; its history says so. */
export async function cancelEmail(deps: ScheduleChangeDeps, actor: Actor, id: string): Promise<EmailRef> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const locked = await lockEmail(tx, actor, id);
    const [changed] = await tx
      .update(emails)
      .set({ status: 'canceled', lastEvent: 'canceled', updatedAt: now })
      .where(and(eq(emails.id, id), stillScheduled()))
      .returning({ id: emails.id });
    if (!changed) throw notScheduled(locked);
    await tx.insert(emailEvents).values({ emailId: id, type: 'canceled', detail: null, createdAt: now });
    const changes = { status: { before: locked.status, after: 'canceled' } };
    await recordAudit(tx, deps.clock, actor, { action: 'email.canceled', targets: [{ type: 'email', id }], changes, projectId: locked.projectId });
  });
  return { object: 'email', id };
}

/**
 * The email's row, locked for this transaction (404 when the actor may not see it). The lock
 * only gives the audit a stable "before" and the 409 its reason; the UPDATE's WHERE decides.
 */
async function lockEmail(tx: Tx, actor: Actor, id: string): Promise<Locked> {
  const [row] = await tx
    .select({ projectId: emails.projectId, scheduledAt: emails.scheduledAt, status: emails.status, lastEvent: emails.lastEvent })
    .from(emails)
    .where(and(eq(emails.id, id), emailsReadableBy(actor), withinKeyDomains(actor)))
    .for('update');
  if (!row) throw notFound('Email');
  return row;
}

/**
 * A key restricted to some domains changes only mail sent from them: it could not have sent the
 * others, so it may not cancel or move them either (404, as for any email outside its bounds).
 */
function withinKeyDomains(actor: Actor): SQL | undefined {
  return actor.kind === 'api_key' && actor.domainIds.length > 0 ? inArray(emails.domainId, [...actor.domainIds]) : undefined;
}

function notScheduled(row: Locked): AppError {
  const why =
    row.status === 'canceled'
      ? 'it was canceled'
      : row.scheduledAt === null
        ? 'it was sent without scheduled_at'
        : row.status === 'queued' && row.lastEvent === 'queued'
          ? 'its scheduled time has come and delivery is taking it'
          : `delivery has taken it (last event: ${row.lastEvent})`;
  return new AppError('email_not_scheduled', `This email is no longer scheduled, so it cannot be changed: ${why}`);
}
