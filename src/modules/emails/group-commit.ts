import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { approximateBytes, type NewEmail } from './accept.js';
import { cachedSendingDomains, type SendingDomainLookup } from './domain-cache.js';
import { concurrentIdempotentRequest } from './idempotency.js';
import { acceptanceStatement, type Acceptance, type StoredKey } from './insert-statement.js';

// Group commit of accepted emails, with or without an Idempotency-Key. Each acceptance (one email,
// or a batch that is all or nothing) waits in line; a group takes everything waiting and writes it
// with ONE statement, which is its own transaction: one round trip and one fsync for the group
// instead of several round trips and one fsync per email. Every caller is answered only after its
// group's commit, so an email answered 200 is durable exactly as before.
//
// There is no timer: a group starts at once when none is being written, so a lone request waits
// for nothing, and under load the requests that arrive while a group is being written form the
// next group by themselves (the way PostgreSQL groups its own WAL flushes). On PostgreSQL a second
// group may go out while one is being written, once it holds as many emails as the last one
// started: the database then executes one statement while it waits on the other's commit, and
// groups stay as large as the load makes them.
//
// When a group's statement fails (a constraint one email breaks, say), nothing of it was stored:
// each acceptance is then written alone, so only the one at fault fails.
//
// An Idempotency-Key this instance is still accepting refuses a second request with it at once
// (409 concurrent_idempotent_requests), so a group never holds one key twice.

export type Accepted = 'stored' | 'key_taken';

export type Intake = Readonly<{
  /**
   * Stores the emails, all or none, with their `queued` events (and `key`, which must be stored
   * for them to be); resolves once committed: `key_taken` when another request holds the key and
   * nothing was stored.
   */
  accept(emails: readonly NewEmail[], key?: StoredKey): Promise<Accepted>;
  /** The sending domain of (organization, name), cached briefly (domain-cache.ts). */
  sendingDomain: SendingDomainLookup;
  /** Resolves once every acceptance already handed in has been answered; refuses new ones. */
  close(): Promise<void>;
}>;

export type IntakeOptions = Readonly<{
  database: Database;
  logger?: Logger | undefined;
  /** Times the sending-domain cache (domain-cache.ts); the system's when absent. */
  clock?: Clock | undefined;
  /** Groups written at once: 2 on PostgreSQL, 1 on PGlite (which runs one statement at a time in any case). */
  maxInFlight?: number;
  /** Emails per group at most. */
  maxGroupEmails?: number;
  /** Message bytes per group at most (attachments travel base64 in the statement's JSON). */
  maxGroupBytes?: number;
}>;

type Waiting = Acceptance & { bytes: number; resolve(accepted: Accepted): void; reject(error: unknown): void };

const keyOf = (key: StoredKey): string => `${key.request.organizationId}\n${key.request.key}`;

export function createIntake(options: IntakeOptions): Intake {
  const { database } = options;
  // Two in flight, the second as large as the first, took the bench's load from 4,300-4,600 to
  // 4,900-5,400 emails/s on PostgreSQL with CPU per email within 5% (bench/RESULTS.md).
  const maxInFlight = options.maxInFlight ?? (database.pglite ? 1 : 2);
  const maxGroupEmails = options.maxGroupEmails ?? 500;
  const maxGroupBytes = options.maxGroupBytes ?? 8 * 1024 * 1024;

  let waiting: Waiting[] = [];
  /** Emails in `waiting`, kept as a count: every acceptance asks whether a group may start. */
  let waitingEmails = 0;
  let inFlight = 0;
  /** Emails in the group started last. */
  let lastGroupEmails = 0;
  let scheduled = false;
  let closed = false;
  let drained: (() => void) | undefined;
  /** Idempotency-Keys of the acceptances waiting or being written. */
  const keys = new Set<string>();

  /** Writes the group; resolves each acceptance with whether its key (if any) was stored. */
  const write = async (group: readonly Waiting[]): Promise<void> => {
    const stored = await database.query<{ organization_id: string; key: string }>(acceptanceStatement(group));
    const storedKeys = new Set(stored.map((k) => `${k.organization_id}\n${k.key}`));
    for (const w of group) w.resolve(!w.key || storedKeys.has(keyOf(w.key)) ? 'stored' : 'key_taken');
  };

  const commit = async (group: Waiting[]): Promise<void> => {
    try {
      await write(group);
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      options.logger?.debug({ err: error, acceptances: group.length }, 'email group commit failed; writing its acceptances one by one');
      for (const w of group) await write([w]).catch(w.reject);
    }
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

  const enqueue = (emails: readonly NewEmail[], key: StoredKey | undefined): Promise<Accepted> =>
    new Promise<Accepted>((resolve, reject) => {
      waiting.push({ emails, key, bytes: emails.reduce((sum, e) => sum + approximateBytes(e), 0), resolve, reject });
      waitingEmails += emails.length;
      schedule();
    });

  return {
    accept: async (emails, key) => {
      if (closed) throw new Error('the email intake is closed');
      if (emails.length === 0) return 'stored';
      if (!key) return enqueue(emails, undefined);
      const name = keyOf(key);
      if (keys.has(name)) throw concurrentIdempotentRequest();
      keys.add(name);
      try {
        return await enqueue(emails, key);
      } finally {
        keys.delete(name);
      }
    },
    sendingDomain: cachedSendingDomains(database.db, { clock: options.clock }),
    close: async () => {
      closed = true;
      if (inFlight === 0 && waiting.length === 0) return;
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
    },
  };
}
