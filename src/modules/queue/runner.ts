import type { Logger } from 'pino';
import type { Held } from './leased-table.js';
import type { Wakeup } from './wakeup.js';

// The loop that works a queue (leased-table.ts): claim due rows in batches, work each on its own,
// up to `concurrency` at once, and renew the leases of the rows in hand while they are worked.
// The leases are short (seconds), so a worker that crashed leaves its rows to be taken again
// within seconds, while a live one, however long a send takes, keeps them: the renewal is the
// heartbeat. What the work records is fenced by the attempt number claimed (see leased-table.ts).

export type QueueWork<T extends Held> = Readonly<{
  /** Claims up to `max` due rows, leased to this worker. */
  claim(max: number): Promise<T[]>;
  /**
   * Works one row to its recorded outcome. A throw is logged; the row comes back after its lease.
   * May return rows the outcome's statement claimed into the slot it freed: they start at once.
   */
  handle(row: T): Promise<readonly T[] | void>;
  /** Renews the leases of these rows; returns the ids still held. */
  renew(rows: readonly T[]): Promise<readonly string[]>;
}>;

export type RunnerOptions = Readonly<{
  /** For the log: `email delivery`. */
  name: string;
  /** Rows worked at once in this process. */
  concurrency: number;
  /** How often a worker with nothing to do looks for due rows. */
  pollIntervalMs: number;
  /** How often the leases of the rows in hand are renewed: well within one lease. */
  renewEveryMs: number;
  logger: Logger;
  /** Commits of this process that make rows due now. */
  wakeup?: Wakeup | undefined;
  /**
   * Look for due rows again whenever a row is finished without follow-up rows, even after a claim
   * came back short: for a queue whose claim caps rows per key (webhook deliveries per endpoint), a
   * finished row frees its key's slot, and waiting for the poll would idle the worker with work
   * due. (A row whose outcome claimed follow-ups refilled its slot itself.)
   */
  claimAfterEachRow?: boolean;
  /**
   * Claim once this many rows are free (a quarter of `concurrency` by default, so claims go out in
   * batches). 1 for a queue whose claim bounds itself by what it can work now (webhooks).
   */
  claimWhenFree?: number;
}>;

export type Runner = Readonly<{
  /** Claims nothing more; resolves once the rows in hand are worked. */
  stop(): Promise<void>;
}>;

export function runQueue<T extends Held>(work: QueueWork<T>, options: RunnerOptions): Runner {
  const { concurrency, logger } = options;
  // Claims go out in batches (one statement for several rows) once a quarter of the slots is free.
  const batch = options.claimWhenFree ?? Math.max(1, Math.floor(concurrency / 4));
  const inHand = new Map<string, T>();
  const working = new Set<Promise<void>>();
  let claiming = false;
  /** Reasons to look for due rows (a wake-up, a row finished without follow-ups), counted. */
  let lookAgain = 0;
  /**
   * The count when a claim came back short (or failed): until a new reason comes, wait for the
   * poll or a wake-up. A reason that came during the claim outlives its short answer.
   */
  let exhaustedAt = -1;
  const exhausted = (): boolean => exhaustedAt === lookAgain;
  let stopping = false;

  const start = (row: T): void => {
    inHand.set(row.id, row);
    const done = work
      .handle(row)
      .catch((error: unknown) => logger.error({ err: error, id: row.id, attempt: row.attempts }, `${options.name}: the attempt failed; the row comes back after its lease`))
      .then((next) => {
        // Unless the row was claimed again meanwhile (its lease lapsed): that attempt's lease is renewed on.
        if (inHand.get(row.id) === row) inHand.delete(row.id);
        working.delete(done);
        // Claimed and leased already: worked even while stopping, or they would wait out their lease.
        const followers = next ?? [];
        for (const following of followers) start(following);
        // A slot refilled by the outcome needs no claim; an empty one may be due work of another key.
        if (options.claimAfterEachRow && followers.length === 0) lookAgain++;
        pump();
      });
    working.add(done);
  };

  const pump = (): void => {
    const free = concurrency - inHand.size;
    if (stopping || claiming || exhausted() || free === 0 || (free < batch && inHand.size > 0)) return;
    claiming = true;
    const seen = lookAgain;
    work
      .claim(free)
      .then((rows) => {
        if (rows.length < free) exhaustedAt = seen;
        for (const row of rows) start(row);
      })
      .catch((error: unknown) => {
        exhaustedAt = lookAgain;
        logger.warn({ err: error }, `${options.name}: could not claim work`);
      })
      .finally(() => {
        claiming = false;
        pump();
      });
  };

  const wake = (): void => {
    lookAgain++;
    pump();
  };

  const renew = async (): Promise<void> => {
    const rows = [...inHand.values()];
    if (rows.length === 0) return;
    const held = new Set(await work.renew(rows));
    for (const row of rows) {
      // Finished meanwhile, or taken over: this attempt's outcome will be refused at its record.
      if (inHand.has(row.id) && !held.has(row.id)) logger.warn({ id: row.id, attempt: row.attempts }, `${options.name}: a lease was lost`);
    }
  };

  const poll = setInterval(wake, options.pollIntervalMs);
  const heartbeat = setInterval(() => {
    renew().catch((error: unknown) => logger.warn({ err: error }, `${options.name}: could not renew leases`));
  }, options.renewEveryMs);
  heartbeat.unref();
  const unsubscribe = options.wakeup?.onWake(wake);
  pump();

  return {
    stop: async () => {
      stopping = true;
      clearInterval(poll);
      unsubscribe?.();
      // Leases stay renewed until the last row in hand is recorded.
      while (working.size > 0 || claiming) await Promise.race([...working, new Promise((resolve) => setTimeout(resolve, 10))]);
      clearInterval(heartbeat);
    },
  };
}
