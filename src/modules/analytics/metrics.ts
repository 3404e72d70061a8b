import { and, asc, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeys, domains, emailEvents, emails } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { validationError } from '../../lib/errors.js';
import { visibleTo, type Actor } from '../api-keys/principal.js';
import { rowsOf } from '../delivery/sql.js';
import { resolveRange, type TimeRange } from './range.js';
import { METRICS, type Dimension, type Granularity, type Metric, type MetricsQuery, type MetricsResponse, type MetricsRow, type MetricValues } from './schemas.js';

// GET /emails/metrics: one aggregate statement over the emails (and each one's events) accepted
// in the range, grouped by the requested dimensions. Each email counts in the period it was
// accepted, with everything that has happened to it since: received, sent, delivered...
// Nothing is counted in JavaScript but the totals of the few grouped rows. A canceled email (its
// schedule canceled before it was sent) counts as received only, and as status `canceled`.

export type MetricsDeps = Readonly<{ db: Db; clock: Clock }>;

const GRAIN: Record<Granularity, string> = { hourly: 'hour', daily: 'day', weekly: 'week', monthly: 'month' };
const STEP: Record<Granularity, string> = { hourly: '1 hour', daily: '1 day', weekly: '1 week', monthly: '1 month' };

/** What one group's emails came to. */
type Counts = { received: number; sent: number; delivered: number; bounced: number; failed: number; delayed: number };
const OUTCOMES = ['sent', 'delivered', 'bounced', 'failed', 'delayed'] as const;

export async function emailMetrics(deps: MetricsDeps, actor: Actor, query: MetricsQuery): Promise<MetricsResponse> {
  const timeZone = query.timezone ?? 'UTC';
  const range = resolveRange({ start_date: query.start_date, end_date: query.end_date, granularity: query.granularity, timeZone }, deps.clock.now());
  const metrics = query.metrics?.length ? query.metrics : [...METRICS];
  const dimensions = query.dimensions ?? [];
  const grouped = await inTimeZone(() => groupedCounts(deps.db, actor, query, { range, timeZone, dimensions }));
  // A chart of one series wants every period, the empty ones too.
  const rows =
    dimensions.length === 1 && dimensions[0] === 'period'
      ? await inTimeZone(() => everyPeriod(deps.db, grouped, { range, timeZone, granularity: query.granularity }))
      : grouped;
  const totals = rows.reduce<Counts>((sum, row) => addCounts(sum, row.counts), zeroCounts());
  return {
    object: 'metrics',
    start_date: range.start.toISOString(),
    end_date: range.end.toISOString(),
    timezone: timeZone,
    metrics,
    dimensions,
    granularity: query.granularity,
    totals: valuesOf(totals, metrics),
    ...(dimensions.length > 0 ? { data: rows.map((row) => ({ ...row.keys, ...valuesOf(row.counts, metrics) })) } : {}),
  };
}

type Group = { keys: Omit<MetricsRow, Metric>; counts: Counts };
type Shape = Readonly<{ range: TimeRange; timeZone: string; dimensions: readonly Dimension[] }>;

async function groupedCounts(db: Db, actor: Actor, query: MetricsQuery, shape: Shape): Promise<Group[]> {
  const { range, timeZone, dimensions } = shape;
  const where = and(
    // The rows the email log shows the caller: its organization, a key's own project and mode.
    visibleTo(actor, emails),
    gte(emails.createdAt, range.start),
    lt(emails.createdAt, range.end),
    query.domain_id?.length ? inArray(emails.domainId, query.domain_id) : undefined,
    query.email_id?.length ? inArray(emails.id, query.email_id) : undefined,
    // Postgate has no broadcasts: no email belongs to one.
    query.broadcast_id?.length ? sql`false` : undefined,
  );
  // Per email, what its events say; the lateral join reads them through email_events_email_idx.
  const outcome = db
    .select({
      // A permanent refusal by the relay is a bounce of a sent email, as Resend counts it.
      sent: sql<boolean>`bool_or(${emailEvents.type} in ('sent', 'bounced'))`.as('sent'),
      delivered: sql<boolean>`bool_or(${emailEvents.type} = 'delivered')`.as('delivered'),
      bounced: sql<boolean>`bool_or(${emailEvents.type} = 'bounced')`.as('bounced'),
      failed: sql<boolean>`bool_or(${emailEvents.type} = 'failed')`.as('failed'),
      delayed: sql<boolean>`bool_or(${emailEvents.type} = 'delivery_delayed')`.as('delayed'),
    })
    .from(emailEvents)
    .where(eq(emailEvents.emailId, emails.id))
    .as('outcome');
  const scoped = db
    .select({
      period: sql<number>`extract(epoch from date_trunc(${GRAIN[query.granularity]}::text, ${emails.createdAt} at time zone ${timeZone}::text) at time zone ${timeZone}::text) * 1000`.as('period'),
      domainId: emails.domainId,
      apiKeyId: emails.apiKeyId,
      status: emails.status,
      sent: outcome.sent,
      delivered: outcome.delivered,
      bounced: outcome.bounced,
      failed: outcome.failed,
      delayed: outcome.delayed,
    })
    .from(emails)
    .leftJoinLateral(outcome, sql`true`)
    .where(where)
    .as('scoped');

  const keys: Record<string, SQL.Aliased | SQL> = {};
  const groupBy: SQL[] = [];
  const orderBy: SQL[] = [];
  const has = (d: Dimension): boolean => dimensions.includes(d);
  if (has('period')) {
    keys.period = sql<number>`${scoped.period}`.mapWith(Number).as('g_period');
    groupBy.push(sql`${scoped.period}`);
    orderBy.push(asc(scoped.period));
  }
  if (has('domain')) {
    keys.domainId = sql<string | null>`${scoped.domainId}`.as('g_domain_id');
    keys.domainName = sql<string | null>`max(${domains.name})`.as('g_domain_name');
    groupBy.push(sql`${scoped.domainId}`);
  }
  if (has('api_key')) {
    keys.apiKeyId = sql<string | null>`${scoped.apiKeyId}`.as('g_api_key_id');
    keys.apiKeyName = sql<string | null>`max(${apiKeys.name})`.as('g_api_key_name');
    groupBy.push(sql`${scoped.apiKeyId}`);
  }
  if (has('status')) {
    keys.status = sql<string>`${scoped.status}`.as('g_status');
    groupBy.push(sql`${scoped.status}`);
  }
  const received = sql<number>`count(*)`.mapWith(Number);
  const counted = (flag: SQL.Aliased<boolean>): SQL<number> => sql<number>`count(*) filter (where ${flag})`.mapWith(Number);
  const fields = {
    ...keys,
    received: received.as('received'),
    sentCount: counted(scoped.sent).as('sent_count'),
    deliveredCount: counted(scoped.delivered).as('delivered_count'),
    bouncedCount: counted(scoped.bounced).as('bounced_count'),
    failedCount: counted(scoped.failed).as('failed_count'),
    delayedCount: counted(scoped.delayed).as('delayed_count'),
  };
  // Names are joined after grouping by id; another organization's domain or key can never match
  // (an email only names its own organization's), the organization condition says so anyway.
  let statement = db.select(fields).from(scoped).$dynamic();
  if (has('domain')) statement = statement.leftJoin(domains, and(eq(domains.id, scoped.domainId), eq(domains.organizationId, actor.organizationId)));
  if (has('api_key')) statement = statement.leftJoin(apiKeys, and(eq(apiKeys.id, scoped.apiKeyId), eq(apiKeys.organizationId, actor.organizationId)));
  if (groupBy.length > 0) statement = statement.groupBy(...groupBy).orderBy(...orderBy, desc(received));
  const rows = (await statement) as Record<string, unknown>[];
  return rows.map((row) => ({
    keys: {
      ...(has('period') ? { period: new Date(Number(row.period)).toISOString() } : {}),
      ...(has('domain') ? { domain_id: (row.domainId as string | null) ?? null, domain_name: (row.domainName as string | null) ?? null } : {}),
      ...(has('api_key') ? { api_key_id: (row.apiKeyId as string | null) ?? null, api_key_name: (row.apiKeyName as string | null) ?? null } : {}),
      ...(has('status') ? { status: row.status as string } : {}),
    },
    counts: {
      received: Number(row.received),
      sent: Number(row.sentCount),
      delivered: Number(row.deliveredCount),
      bounced: Number(row.bouncedCount),
      failed: Number(row.failedCount),
      delayed: Number(row.delayedCount),
    },
  }));
}

/** The periods of the range in order (local wall-clock periods of the zone), the empty ones as zeros. */
async function everyPeriod(db: Db, grouped: Group[], shape: { range: TimeRange; timeZone: string; granularity: Granularity }): Promise<Group[]> {
  const { range, timeZone, granularity } = shape;
  const byPeriod = new Map(grouped.map((group) => [group.keys.period, group]));
  // Wall-clock timestamps, so a day is a local day across a DST change (PostgreSQL 15 has no zoned generate_series).
  const series = rowsOf<{ period: number | string }>(
    await db.execute(sql`
      select extract(epoch from g at time zone ${timeZone}::text) * 1000 as period
      from generate_series(
        date_trunc(${GRAIN[granularity]}::text, ${range.start.toISOString()}::timestamptz at time zone ${timeZone}::text),
        ${range.end.toISOString()}::timestamptz at time zone ${timeZone}::text - interval '1 microsecond',
        ${STEP[granularity]}::interval
      ) as g`),
  );
  return series.map(({ period }) => {
    const iso = new Date(Number(period)).toISOString();
    return byPeriod.get(iso) ?? { keys: { period: iso }, counts: zeroCounts() };
  });
}

/** A zone the runtime knows but PostgreSQL does not (22023) is the caller's mistake, not a 500. */
async function inTimeZone<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (hasCode(error, '22023')) throw validationError('querystring.timezone', 'is not a time zone the database knows');
    throw error;
  }
}

function hasCode(error: unknown, code: string): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

const zeroCounts = (): Counts => ({ received: 0, sent: 0, delivered: 0, bounced: 0, failed: 0, delayed: 0 });

function addCounts(a: Counts, b: Counts): Counts {
  const sum = { ...a, received: a.received + b.received };
  for (const key of OUTCOMES) sum[key] = a[key] + b[key];
  return sum;
}

/** A share of `of`, to four decimals; 0 when nothing was sent. */
const rate = (part: number, of: number): number => (of === 0 ? 0 : Math.round((part / of) * 10_000) / 10_000);

/**
 * The requested metrics of one group. Without open and click tracking, complaint feedback loops,
 * unsubscribe links or suppressions, those metrics are 0 (docs/analytics.md).
 */
function valuesOf(c: Counts, metrics: readonly Metric[]): MetricValues {
  const all: Record<Metric, number> = {
    received: c.received,
    delivered: c.delivered,
    complained: 0,
    suppressed: 0,
    bounced: c.bounced,
    bounced_transient: 0,
    // Postgate records a bounce only for a permanent (5xx) refusal; temporary ones are retried.
    bounced_permanent: c.bounced,
    bounced_undetermined: 0,
    opened: 0,
    clicked: 0,
    unsubscribed: 0,
    delivery_delayed: c.delayed,
    failed: c.failed,
    sent: c.sent,
    unique_opened: 0,
    unique_clicked: 0,
    delivery_rate: rate(c.delivered, c.sent),
    open_rate: 0,
    click_rate: 0,
    bounce_rate: rate(c.bounced, c.sent),
    complaint_rate: 0,
    unsubscribe_rate: 0,
  };
  return Object.fromEntries(metrics.map((metric) => [metric, all[metric]])) as MetricValues;
}
