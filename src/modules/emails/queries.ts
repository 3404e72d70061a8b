import { and, asc, eq, ne, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailEvents, emailMessages, emails, type EmailRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import { visibleTo, type Actor } from '../api-keys/principal.js';
import { bytesOrNullOf } from '../delivery/sql.js';
import type { EmailObject, EmailSummary } from './schemas.js';

// The read side: the email log of an organization, one email with its events, and the message
// the capture transport kept. Another organization's email is "not found".

export type EmailQueryDeps = Readonly<{ db: Db; clock: Clock }>;

const summaryColumns = {
  id: emails.id,
  fromAddress: emails.fromAddress,
  toAddresses: emails.toAddresses,
  ccAddresses: emails.ccAddresses,
  bccAddresses: emails.bccAddresses,
  replyTo: emails.replyTo,
  subject: emails.subject,
  messageId: emails.messageId,
  lastEvent: emails.lastEvent,
  scheduledAt: emails.scheduledAt,
  createdAt: emails.createdAt,
};
type SummaryRow = Pick<EmailRow, keyof typeof summaryColumns>;

export async function listEmails(deps: EmailQueryDeps, actor: Actor, cursor: Cursor): Promise<ListPage<EmailSummary>> {
  const page = pageOf(emails.id, emailsReadableBy(actor), cursor);
  const rows = await deps.db.select(summaryColumns).from(emails).where(page.where).orderBy(page.orderBy).limit(page.limit);
  const now = deps.clock.now();
  return toPage(rows, cursor, (row) => presentSummary(row, now));
}

export async function getEmail(deps: EmailQueryDeps, actor: Actor, id: string): Promise<EmailObject> {
  const [row] = await deps.db
    .select({
      ...summaryColumns,
      html: emails.html,
      text: emails.text,
      tags: emails.tags,
      templateId: emails.templateId,
      templateVariables: emails.templateVariables,
      topicId: emails.topicId,
    })
    .from(emails)
    .where(and(eq(emails.id, id), emailsReadableBy(actor)))
    .limit(1);
  if (!row) throw notFound('Email');
  const events = await deps.db
    .select({ type: emailEvents.type, detail: emailEvents.detail, createdAt: emailEvents.createdAt })
    .from(emailEvents)
    .where(eq(emailEvents.emailId, id))
    .orderBy(asc(emailEvents.id));
  return {
    ...presentSummary(row, deps.clock.now()),
    html: row.html,
    text: row.text,
    tags: row.tags,
    template_id: row.templateId,
    template_variables: row.templateVariables,
    topic_id: row.topicId,
    events: events.map((e) => ({ type: e.type, created_at: e.createdAt.toISOString(), detail: e.detail })),
  };
}

/** The signed message as the capture transport kept it (message/rfc822). */
export async function getCapturedMessage(deps: EmailQueryDeps, actor: Actor, id: string): Promise<Buffer> {
  const [row] = await deps.db
    .select({ captured: bytesOrNullOf(emailMessages.captured) })
    .from(emailMessages)
    .innerJoin(emails, eq(emails.id, emailMessages.emailId))
    .where(and(eq(emails.id, id), emailsReadableBy(actor)))
    .limit(1);
  if (!row) throw notFound('Email');
  if (!row.captured) throw notFound('Captured message (only mail kept by the capture transport has one, once delivered)');
  return row.captured;
}

const orNull = (list: string[]): string[] | null => (list.length > 0 ? list : null);

function presentSummary(row: SummaryRow, now: Date): EmailSummary {
  const waiting = row.lastEvent === 'queued' && row.scheduledAt !== null && row.scheduledAt > now;
  return {
    object: 'email',
    id: row.id,
    from: row.fromAddress,
    to: row.toAddresses,
    cc: orNull(row.ccAddresses),
    bcc: orNull(row.bccAddresses),
    reply_to: orNull(row.replyTo),
    subject: row.subject,
    created_at: row.createdAt.toISOString(),
    scheduled_at: row.scheduledAt?.toISOString() ?? null,
    last_event: waiting ? 'scheduled' : row.lastEvent,
    message_id: row.messageId,
  };
}

/**
 * The emails an actor may read: those it sees (principal.ts), but never Postgate's own mail,
 * whose body holds a secret (an invitation link that would hand its role to any reader).
 */
export function emailsReadableBy(actor: Actor): SQL {
  return and(visibleTo(actor, emails), ne(emails.source, 'system'))!;
}
