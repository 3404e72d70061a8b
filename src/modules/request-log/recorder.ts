import { lt } from 'drizzle-orm';
import { bulkWriter, type BulkColumn, type BulkWrite, type Cell } from '../../db/bulk-write.js';
import type { Database } from '../../db/client.js';
import { deleteExpired } from '../../db/sweep.js';
import { requestLogs } from '../../db/schema-logs.js';
import type { Clock } from '../../lib/clock.js';
import { idBefore, newId } from '../../lib/ids.js';

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

/** The table's columns in the order `record` lays out a row's cells. */
const COLUMNS: readonly BulkColumn[] = [
  { name: 'id', type: 'text' },
  { name: 'organization_id', type: 'text' },
  { name: 'project_id', type: 'text' },
  { name: 'key_id', type: 'text' },
  { name: 'method', type: 'text' },
  { name: 'endpoint', type: 'text' },
  { name: 'response_status', type: 'integer' },
  { name: 'duration_ms', type: 'integer' },
  { name: 'ip', type: 'text' },
  { name: 'user_agent', type: 'text' },
  { name: 'created_at', type: 'timestamptz' },
];

/**
 * Rows per statement. A statement holds PGlite (one connection) for its whole length: 2,000
 * rows keep that to a few milliseconds, long enough that a statement's own cost is negligible.
 */
export const ROWS_PER_INSERT = 2_000;

const DAY_MS = 86_400_000;

export type RequestLogOptions = Readonly<{
  database: Database;
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
  /** Oldest first; cells in COLUMNS order. */
  private pending: Cell[][] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private droppedTotal = 0;
  private failing = { flush: false, sweep: false };
  private running = { flush: false, sweep: false };
  private readonly flushIntervalMs: number;
  private readonly sweepIntervalMs: number;
  private readonly maxPending: number;

  private readonly write: BulkWrite;

  constructor(private readonly options: RequestLogOptions) {
    this.write = bulkWriter(options.database, 'request_logs', COLUMNS);
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
    this.pending.push([
      id,
      entry.organizationId,
      entry.projectId,
      entry.keyId,
      entry.method,
      entry.endpoint,
      entry.status,
      Math.round(entry.durationMs),
      entry.ip,
      entry.userAgent,
      new Date(now).toISOString(),
    ]);
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
   * Writes what is pending: one statement per ROWS_PER_INSERT rows. One flush at a time;
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
        await this.write(batch.slice(start, start + ROWS_PER_INSERT));
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

  /** Deletes rows older than the retention: by id, since ids are time-ordered (lib/ids.ts). */
  async sweep(): Promise<number> {
    const cutoff = idBefore('requestLog', this.options.clock.nowMs() - this.options.retentionDays * DAY_MS);
    return deleteExpired(this.options.database.db, requestLogs, [requestLogs.organizationId, requestLogs.id], lt(requestLogs.id, cutoff));
  }
}
