import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { preparedRunner } from '../../db/pglite.js';
import type { EmailQueue, SqlStatement } from '../delivery/queue.js';
import { approximateBytes, type NewEmail } from './accept.js';
import { cachedSendingDomains, type SendingDomainLookup } from './domain-cache.js';
import { acceptanceStatement } from './insert-statement.js';

// Group commit of accepted emails. Each acceptance (one email, or a batch that is all or nothing)
// waits in line; a group takes everything waiting and writes it with ONE statement, which is its
// own transaction: one round trip and one fsync for the group instead of seven round trips and
// one fsync per email. Every caller is answered only after its group's commit, so an email
// answered 200 is durable exactly as before.
//
// There is no timer: a group starts at once when none is being written, so a lone request waits
// for nothing, and under load the requests that arrive while a group is being written form the
// next group by themselves (the way PostgreSQL groups its own WAL flushes). On PostgreSQL a second
// group may go out while one is being written, once it holds as many emails as the last one
// started: the database then executes one statement while it waits on the other's commit, and
// groups stay as large as the load makes them (a second group sent as soon as anything waited
// made groups smaller, each statement's fixed cost shared by fewer emails).
//
// When a group's statement fails (a constraint one email breaks, say), nothing of it was stored:
// each acceptance is then written alone, so only the one at fault fails.
//
// Acceptances with an Idempotency-Key do not come here: their claim is per key, in a transaction
// of their own (accept.ts).

export type Intake = Readonly<{
  /** Stores the emails, all or none, with their `queued` events and jobs; resolves once committed. */
  accept(emails: readonly NewEmail[]): Promise<void>;
  /** The sending domain of (organization, name), cached briefly (domain-cache.ts). */
  sendingDomain: SendingDomainLookup;
  /** Resolves once every acceptance already handed in has been answered; refuses new ones. */
  close(): Promise<void>;
}>;

export type IntakeOptions = Readonly<{
  database: Database;
  queue: EmailQueue;
  logger?: Logger | undefined;
  /** Groups written at once: 2 on PostgreSQL, 1 on PGlite (which runs one statement at a time in any case). */
  maxInFlight?: number;
  /** Emails per group at most. */
  maxGroupEmails?: number;
  /** Message bytes per group at most (attachments travel base64 in the statement's JSON). */
  maxGroupBytes?: number;
}>;

type Waiting = { emails: readonly NewEmail[]; bytes: number; resolve(): void; reject(error: unknown): void };

export function createIntake(options: IntakeOptions): Intake {
  const { database, queue } = options;
  // Each statement costs the database a fixed part (its round trip, its commit) that fewer, larger
  // groups share. Two or four groups in flight whatever their size cost PostgreSQL more CPU per
  // email than one (~124 against ~93 µs; 5,400-5,600 against 5,800-6,000 emails/s). Two, the
  // second as large as the first, took the bench's load from 4,300-4,600 to 4,900-5,400 emails/s
  // on a machine where one group's statement and commit take about a millisecond, with CPU per
  // email within 5% (bench/RESULTS.md).
  const maxInFlight = options.maxInFlight ?? (database.pglite ? 1 : 2);
  const maxGroupEmails = options.maxGroupEmails ?? 500;
  const maxGroupBytes = options.maxGroupBytes ?? 8 * 1024 * 1024;
  const run = statementRunner(database);

  let waiting: Waiting[] = [];
  /** Emails in `waiting`, kept as a count: every acceptance asks whether a group may start. */
  let waitingEmails = 0;
  let inFlight = 0;
  /** Emails in the group started last. */
  let lastGroupEmails = 0;
  let scheduled = false;
  let closed = false;
  let drained: (() => void) | undefined;

  const write = async (emails: readonly NewEmail[]): Promise<void> => {
    const jobs = await queue.insertStatement(emails.map(({ row }) => ({ emailId: row.id, startAfter: row.scheduledAt ?? undefined })));
    await run(acceptanceStatement(emails, jobs));
  };

  const commit = async (group: Waiting[]): Promise<void> => {
    try {
      await write(group.length === 1 ? group[0]!.emails : group.flatMap((w) => w.emails));
      for (const w of group) w.resolve();
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      options.logger?.debug({ err: error, acceptances: group.length }, 'email group commit failed; writing its acceptances one by one');
      for (const w of group) await write(w.emails).then(w.resolve, w.reject);
    }
    // Committed: this process's worker (if any) need not wait for its next poll.
    queue.wake();
  };

  const take = (): Waiting[] => {
    let emails = 0;
    let bytes = 0;
    let n = 0;
    for (const w of waiting) {
      if (n > 0 && (emails + w.emails.length > maxGroupEmails || bytes + w.bytes > maxGroupBytes)) break;
      emails += w.emails.length;
      bytes += w.bytes;
      n++;
    }
    const group = waiting.slice(0, n);
    waiting = waiting.slice(n);
    waitingEmails -= emails;
    lastGroupEmails = emails;
    return group;
  };

  const mayStart = (): boolean => waiting.length > 0 && (inFlight === 0 || (inFlight < maxInFlight && waitingEmails >= lastGroupEmails));

  const flush = (): void => {
    scheduled = false;
    if (!mayStart()) return;
    const group = take();
    inFlight++;
    void commit(group).finally(() => {
      inFlight--;
      schedule();
      if (inFlight === 0 && waiting.length === 0) drained?.();
    });
    schedule();
  };

  // setImmediate: the requests whose bodies arrived in this turn of the event loop join the group.
  const schedule = (): void => {
    if (scheduled || !mayStart()) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    accept: (emails) => {
      if (closed) return Promise.reject(new Error('the email intake is closed'));
      if (emails.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ emails, bytes: emails.reduce((sum, e) => sum + approximateBytes(e), 0), resolve, reject });
        waitingEmails += emails.length;
        schedule();
      });
    },
    sendingDomain: cachedSendingDomains(database.db),
    close: async () => {
      closed = true;
      if (inFlight === 0 && waiting.length === 0) return;
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
    },
  };
}

/** Runs the statement prepared by name: parsed once per connection (PGlite has one). */
function statementRunner(database: Database): (statement: SqlStatement & { name: string }) => Promise<void> {
  if (database.pglite) return preparedRunner(database.pglite);
  const pool = database.pool!;
  return async ({ name, text, values }) => {
    await pool.query({ name, text, values });
  };
}
