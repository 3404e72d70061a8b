// Postgate's work queue: rows of the project's own tables, claimed with FOR UPDATE SKIP LOCKED
// (Postal's queued_messages), never a dependency's tables or SQL. A table is a queue when its rows
// carry four columns:
//
//   status           `waiting` (due at next_attempt_at) | `working` (leased) | anything else: done
//   attempts         the number of the attempt that holds or last held the row: the fencing token
//                    an outcome is recorded under, so an attempt whose lease was taken over can
//                    never overwrite its successor's outcome
//   next_attempt_at  when a waiting row is due; while working, the end of its lease: a worker
//                    that died leaves the row due again when its lease runs out (seconds: the
//                    live worker renews it, see runner.ts)
//   updated_at
//
// plus a partial index on (next_attempt_at) for the waiting and working statuses. Emails are such
// a table themselves (`emails`): a separate jobs table would have doubled what an acceptance
// writes (pg-boss's job insert was 40% of the acceptance statement, bench/RESULTS.md) while the
// claim must read the email's row in any case, and the fencing attempt number belongs where its
// outcome is written. Webhook deliveries, broadcast recipients and SMS will be tables of their own
// with the same columns and claim through the same statements.
//
// Every name below is a constant of the caller's, never a request's.

export type LeasedTable = Readonly<{
  table: string;
  /** The status of a row due at next_attempt_at. */
  waiting: string;
  /** The status of a row an attempt holds until next_attempt_at. */
  working: string;
  /** A further condition (SQL over the table's columns) a due row must meet. */
  dueAlso?: string | undefined;
  /** Further assignments of a claim (SQL over `t`, the row as it was before the claim). */
  claimAlsoSets?: string | undefined;
}>;

/**
 * Two CTEs, `due` and `claimed`: up to `$1` due rows (waiting and due, or working with a lease
 * run out), skipping rows another worker is claiming this instant, leased for `$2` seconds with
 * their attempt number raised; `byId`: only the row whose id is `$3`. `claimed` returns
 * `returning` (columns of `t`, the table). The caller adds what follows (a SELECT joining what
 * the work needs).
 */
export function claimCtes(q: LeasedTable, returning: string, options: { byId?: boolean } = {}): string {
  return `due AS (
  SELECT id FROM ${q.table}
  WHERE status IN ('${q.waiting}', '${q.working}') AND next_attempt_at <= now()${q.dueAlso ? ` AND ${q.dueAlso}` : ''}${options.byId ? ' AND id = $3' : ''}
  ORDER BY next_attempt_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
),
${claimedCte(q, returning)}`;
}

/**
 * The `claimed` CTE alone, for a queue whose `due` CTE (the rows to claim, `id`s, locked) is its
 * own: the rows leased for `$2` seconds with their attempt number raised, returning `returning`.
 */
export function claimedCte(q: LeasedTable, returning: string): string {
  return `claimed AS (
  UPDATE ${q.table} t
  SET status = '${q.working}', attempts = t.attempts + 1, next_attempt_at = now() + make_interval(secs => $2), updated_at = now()${q.claimAlsoSets ? `, ${q.claimAlsoSets}` : ''}
  FROM due
  WHERE t.id = due.id
  RETURNING ${returning}
)`;
}

/**
 * Renews the leases of the rows this worker holds: `$1` is JSON `[{id, attempt}]`, `$2` the lease
 * in seconds. Returns the ids still held; a row missing from them was taken over (its lease ran
 * out while this worker was stalled) and its outcome will not be recorded.
 */
export function renewSql(q: LeasedTable): string {
  return `UPDATE ${q.table} t
SET next_attempt_at = now() + make_interval(secs => $2)
FROM json_to_recordset($1::json) AS held(id text, attempt int)
WHERE t.id = held.id AND t.status = '${q.working}' AND t.attempts = held.attempt
RETURNING t.id`;
}

/** One row as this worker holds it: the fencing token travels with the id. */
export type Held = Readonly<{ id: string; attempts: number }>;

export function heldJson(rows: Iterable<Held>): string {
  return JSON.stringify([...rows].map((r) => ({ id: r.id, attempt: r.attempts })));
}
