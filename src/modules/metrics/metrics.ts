import { inArray, sql } from 'drizzle-orm';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../../db/client.js';
import { emails } from '../../db/schema.js';

// Prometheus metrics (GET /metrics). One registry per Deps, never prom-client's global default:
// tests build several apps in one process, and each must count only its own. Counters are moved
// where things happen (HTTP hooks, the authenticator, the delivery recorder); queue figures are
// read from the database when scraped.

export const VERIFICATION_OUTCOMES = ['ok', 'missing', 'invalid', 'ip_not_allowed', 'insufficient_scope', 'rate_limited', 'throttled'] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];
export const LIMIT_CODES = ['rate_limit_exceeded', 'concurrency_limit_exceeded', 'too_many_auth_failures'] as const;
export const DELIVERY_OUTCOMES = ['sent', 'soft_fail', 'hard_fail', 'lost_claim'] as const;

export type Metrics = Readonly<{
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  keyVerifications: Counter<'outcome'>;
  limitsHit: Counter<'code'>;
  deliveries: Counter<'outcome'>;
  requestLogDropped: Counter;
}>;

export type MetricSources = Readonly<{
  db: Db;
  /** The request log recorder's rows not yet written. */
  requestLogPending(): number;
}>;

type QueueSnapshot = { due: number; scheduled: number; sending: number; oldestDueSeconds: number };

/**
 * The queue's figures in one statement over the partial index of queued and sending emails
 * (emails_due_idx), shared by the gauges of one scrape. A database that does not answer gives NaN,
 * never a failed scrape: the other metrics still matter then.
 */
function queueReader(db: Db): () => Promise<QueueSnapshot> {
  const read = async (): Promise<QueueSnapshot> => {
    try {
      const queued = sql`${emails.status} = 'queued'`;
      const due = sql`${queued} and ${emails.nextAttemptAt} <= now()`;
      const [row] = await db
        .select({
          due: sql<number>`count(*) filter (where ${due})`.mapWith(Number),
          scheduled: sql<number>`count(*) filter (where ${queued} and ${emails.nextAttemptAt} > now())`.mapWith(Number),
          sending: sql<number>`count(*) filter (where ${emails.status} = 'sending')`.mapWith(Number),
          oldest: sql<number | null>`extract(epoch from now() - min(${emails.nextAttemptAt}) filter (where ${due}))`.mapWith(Number),
        })
        .from(emails)
        .where(inArray(emails.status, ['queued', 'sending']));
      return { due: row?.due ?? 0, scheduled: row?.scheduled ?? 0, sending: row?.sending ?? 0, oldestDueSeconds: row?.oldest ?? 0 };
    } catch {
      return { due: NaN, scheduled: NaN, sending: NaN, oldestDueSeconds: NaN };
    }
  };
  // A scrape collects every metric at once (prom-client starts all collect() calls together):
  // both gauges share the read in flight, and the next scrape reads afresh.
  let inFlight: Promise<QueueSnapshot> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const queue = queueReader(sources.db);

  const keyVerifications = new Counter({
    name: 'postgate_key_verifications_total',
    help: 'API key verifications (HTTP and SMTP) by outcome',
    labelNames: ['outcome'] as const,
    registers,
  });
  const limitsHit = new Counter({ name: 'postgate_http_limits_hit_total', help: 'HTTP requests refused with 429, by error code', labelNames: ['code'] as const, registers });
  const deliveries = new Counter({ name: 'postgate_email_deliveries_total', help: 'Delivery attempts recorded, by outcome', labelNames: ['outcome'] as const, registers });
  // Every known series from the start, so a rate() over the first increment is not lost.
  for (const outcome of VERIFICATION_OUTCOMES) keyVerifications.inc({ outcome }, 0);
  for (const code of LIMIT_CODES) limitsHit.inc({ code }, 0);
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);

  new Gauge({
    name: 'postgate_email_queue_depth',
    help: 'Emails in the delivery queue: due now, waiting for a later time (scheduled or backing off), being sent',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const snapshot = await queue();
      this.set({ state: 'due' }, snapshot.due);
      this.set({ state: 'scheduled' }, snapshot.scheduled);
      this.set({ state: 'sending' }, snapshot.sending);
    },
  });
  new Gauge({
    name: 'postgate_email_queue_oldest_due_age_seconds',
    help: 'How long the longest-waiting due email has been due (0 when none is)',
    registers,
    async collect() {
      this.set((await queue()).oldestDueSeconds);
    },
  });
  new Gauge({
    name: 'postgate_request_log_pending',
    help: 'Request log rows held in memory, not yet written',
    registers,
    collect() {
      this.set(sources.requestLogPending());
    },
  });

  return Object.freeze({
    registry,
    httpRequests: new Counter({ name: 'postgate_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'] as const, registers }),
    httpDuration: new Histogram({
      name: 'postgate_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    keyVerifications,
    limitsHit,
    deliveries,
    requestLogDropped: new Counter({
      name: 'postgate_request_log_dropped_total',
      help: 'Request log rows dropped because the database was away long enough to fill the memory bound',
      registers,
    }),
  });
}
