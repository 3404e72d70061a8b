import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { wellFormedJson } from '../../db/json.js';
import { deleteOlderThan } from '../../db/sweep.js';
import { requestLogs } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';

// The API request log (GET /logs): one row per authenticated request, kept in memory and written
// in batches, so serving a request never waits on, or adds, a write of its own. Rows older than
// POSTGATE_REQUEST_LOG_DAYS are deleted by a sweep run from the same recorder.

/** One authenticated request as the HTTP edge saw it when its response closed. */
export type RequestLogEntry = Readonly<{
  organizationId: string;
  projectId: string;
  keyId: string;
  method: string;
  /** The path as requested, without the query string. */
  endpoint: string;
  status: number;
  durationMs: number;
  ip: string;
  userAgent: string | null;
}>;

/** A row as the INSERT reads it from its one JSON parameter (json_to_recordset's column names). */
type Row = {
  id: string;
  organization_id: string;
  project_id: string;
  key_id: string;
  method: string;
  endpoint: string;
  response_status: number;
  duration_ms: number;
  ip: string;
  user_agent: string | null;
  created_at: string;
};

/**
 * Rows per INSERT, so one statement's JSON stays a few megabytes. The rows travel as one JSON
 * parameter, as the email intake's do (emails/insert-statement.ts): binding 11 parameters a row
 * through the query builder cost more CPU than the requests being logged.
 */
export const ROWS_PER_INSERT = 5_000;

function insertStatement(rows: readonly Row[]) {
  return sql`INSERT INTO "request_logs" (id, organization_id, project_id, key_id, method, endpoint, response_status, duration_ms, ip, user_agent, created_at)
    SELECT id, organization_id, project_id, key_id, method, endpoint, response_status, duration_ms, ip, user_agent, created_at
    FROM json_to_recordset(${wellFormedJson(rows)}::json) AS r(id text, organization_id text, project_id text, key_id text, method text,
      endpoint text, response_status integer, duration_ms integer, ip text, user_agent text, created_at timestamptz)`;
}

const DAY_MS = 86_400_000;

export type RequestLogOptions = Readonly<{
  db: Db;
  clock: Clock;
  retentionDays: number;
  /** How often pending rows are written (and the longest a request waits to appear in GET /logs). */
  flushIntervalMs?: number;
  /** How often rows past retention are deleted. */
  sweepIntervalMs?: number;
  /** Rows held in memory at most; see `record`. */
  maxPending?: number;
  /** Called with the number of rows dropped because the memory bound was reached. */
  onDropped?: (count: number) => void;
  /**
   * Called when a timed flush or sweep fails (the rows stay pending for the next flush); once per
   * outage, not once per interval while the database is away.
   */
  onError?: (error: unknown, what: 'flush' | 'sweep') => void;
}>;

export class RequestLogRecorder {
  /** Oldest first. */
  private pending: Row[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private droppedTotal = 0;
  private failing = { flush: false, sweep: false };
  private running = { flush: false, sweep: false };
  private readonly flushIntervalMs: number;
  private readonly sweepIntervalMs: number;
  private readonly maxPending: number;

  constructor(private readonly options: RequestLogOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 3_600_000;
    this.maxPending = options.maxPending ?? 100_000;
  }

  start(): void {
    this.flushTimer ??= setInterval(() => void this.watch('flush', () => this.flush()), this.flushIntervalMs);
    this.sweepTimer ??= setInterval(() => void this.watch('sweep', () => this.sweep()), this.sweepIntervalMs);
    this.flushTimer.unref();
    this.sweepTimer.unref();
  }

  /**
   * One timed run at a time: while the database is slow to answer (a connection timeout is
   * longer than the flush interval), ticks are skipped rather than queued behind each other.
   */
  private async watch(what: 'flush' | 'sweep', work: () => Promise<unknown>): Promise<void> {
    if (this.running[what]) return;
    this.running[what] = true;
    try {
      await work();
      this.failing[what] = false;
    } catch (error) {
      if (!this.failing[what]) this.options.onError?.(error, what);
      this.failing[what] = true;
    } finally {
      this.running[what] = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.sweepTimer);
    this.flushTimer = undefined;
    this.sweepTimer = undefined;
    await this.flush().catch((error: unknown) => this.options.onError?.(error, 'flush'));
  }

  /**
   * Keeps one request in memory: nothing is written here. Memory is bounded: when the database
   * has been away long enough for `maxPending` rows to pile up, the oldest are dropped (and
   * counted, see `dropped`) rather than let a database outage grow the heap until the process dies.
   * Returns the id the row will have.
   */
  record(entry: RequestLogEntry): string {
    const now = this.options.clock.nowMs();
    const id = newId('requestLog', now);
    this.pending.push({
      id,
      organization_id: entry.organizationId,
      project_id: entry.projectId,
      key_id: entry.keyId,
      method: entry.method,
      endpoint: entry.endpoint,
      response_status: entry.status,
      duration_ms: Math.round(entry.durationMs),
      ip: entry.ip,
      user_agent: entry.userAgent,
      created_at: new Date(now).toISOString(),
    });
    if (this.pending.length > this.maxPending) this.dropOverflow();
    return id;
  }

  /** Rows dropped since start because the memory bound was reached. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Rows recorded and not yet written. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Writes what is pending: one multi-row INSERT per ROWS_PER_INSERT rows. One flush at a time;
   * a failed one does not fail the next (each waits for the previous to settle, not to succeed).
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    for (let start = 0; start < batch.length; start += ROWS_PER_INSERT) {
      try {
        await this.options.db.execute(insertStatement(batch.slice(start, start + ROWS_PER_INSERT)));
      } catch (error) {
        // What was not written goes back in front of what arrived meanwhile, within the bound.
        this.pending = batch.slice(start).concat(this.pending);
        if (this.pending.length > this.maxPending) this.dropOverflow();
        throw error;
      }
    }
  }

  /**
   * Drops the oldest rows past the bound, and at least 1% of it at once: shifting a full buffer
   * for every request of an outage would cost each request a copy of the whole buffer.
   */
  private dropOverflow(): void {
    const count = Math.max(this.pending.length - this.maxPending, Math.ceil(this.maxPending / 100));
    this.pending.splice(0, count);
    this.droppedTotal += count;
    this.options.onDropped?.(count);
  }

  /**
   * Deletes rows older than the retention, SWEEP_BATCH at a time. Instances sharing PostgreSQL
   * may sweep at once: SKIP LOCKED lets each take rows the others are not deleting.
   */
  async sweep(): Promise<number> {
    const cutoff = new Date(this.options.clock.nowMs() - this.options.retentionDays * DAY_MS);
    return deleteOlderThan(this.options.db, requestLogs, requestLogs.id, requestLogs.createdAt, cutoff);
  }
}
