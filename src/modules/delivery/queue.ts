import type { Database } from '../../db/client.js';
import { heldJson, renewSql, type Held } from '../queue/leased-table.js';
import { createWakeup, type Wakeup } from '../queue/wakeup.js';
import { claimEmailById, claimEmails, EMAIL_QUEUE, type ClaimedEmail } from './claim.js';

// The delivery queue: the emails table, claimed with FOR UPDATE SKIP LOCKED (queue/leased-table.ts),
// on PostgreSQL and PGlite alike. An email is queued by the statement that accepts it (its row is
// the queue entry), so it exists exactly when its place in the queue does, and any instance's
// worker may take it, only one at a time. A retry is the row queued again for its time.
//
// Emails accepted by versions that queued them in pg-boss are rows of this table too (pg-boss's
// jobs only named them): they are delivered from here, and pg-boss's tables are no longer read.

/** The table that is the delivery queue. */
export const DELIVERY_QUEUE = EMAIL_QUEUE.table;

export type EmailQueue = Wakeup &
  Readonly<{
    /** Claims up to `max` due emails for this worker, each leased for the configured seconds. */
    claim(max: number): Promise<ClaimedEmail[]>;
    /** Claims this one email if it is due (an operator's "deliver now", tests). */
    claimById(id: string): Promise<ClaimedEmail | undefined>;
    /** Renews the leases of the emails this worker is delivering; returns the ids still held. */
    renew(held: readonly Held[]): Promise<string[]>;
    leaseSeconds: number;
  }>;

export function createEmailQueue(options: { database: Database; leaseSeconds: number }): EmailQueue {
  const { database, leaseSeconds } = options;
  const renew = renewSql(EMAIL_QUEUE);
  return Object.freeze({
    ...createWakeup(),
    leaseSeconds,
    claim: (max: number) => claimEmails(database, max, leaseSeconds),
    claimById: (id: string) => claimEmailById(database, id, leaseSeconds),
    renew: async (held: readonly Held[]) => {
      if (held.length === 0) return [];
      const rows = await database.query<{ id: string }>({ name: 'postgate_renew_emails', text: renew, values: [heldJson(held), leaseSeconds] });
      return rows.map((r) => r.id);
    },
  });
}
