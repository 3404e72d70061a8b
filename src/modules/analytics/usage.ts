import { and, count, eq, gte, ne, sql, type SQL } from 'drizzle-orm';
import type { Config, Plan } from '../../config/config.js';
import type { Db } from '../../db/client.js';
import { apiKeys, domains, emails, organizations } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import { ownedBy, visibleTo, type Actor } from '../api-keys/principal.js';
import { getOrganization } from '../organizations/service.js';
import type { OrganizationOverview, UsageResponse } from './schemas.js';

// GET /usage (the SDK's usage.get()) and GET /organization: counts against the limits, each one
// count(*) statement. Days and months are UTC, as the rate and key limits are.

/** The limits an organization is held to: the configuration's (config.ts). */
export type LimitsConfig = Pick<Config, 'planRates' | 'maxKeysPerOrg' | 'ipConcurrency' | 'smtpConnectionsPerClient' | 'authFailureLimit'>;

export type UsageDeps = Readonly<{ db: Db; clock: Clock; limits: LimitsConfig }>;

/**
 * What the caller has used, in the SDK's shape. Emails are those the caller sees (its mode and,
 * for a key, its project); `received` is inbound mail (none yet). Postgate has no email quota,
 * contacts, segments, broadcasts, AI credits or automations: those are 0 with a null limit.
 */
export async function usageOf(deps: UsageDeps, actor: Actor): Promise<UsageResponse> {
  const now = deps.clock.now();
  const { day, month, nextDay, nextMonth } = calendarOf(now);
  const [accepted, [domainCount], plan] = await Promise.all([
    emailCounts(deps.db, visibleTo(actor, emails), day, month),
    deps.db.select({ n: count() }).from(domains).where(ownedBy(actor, domains)),
    planOf(deps.db, actor),
  ]);
  const window = (sent: number, resetsAt: Date) => ({ used: sent, limit: null, sent, received: 0, resets_at: resetsAt.toISOString() });
  const perSecond = deps.limits.planRates[plan];
  return {
    object: 'usage',
    emails: { daily: window(accepted.today, nextDay), monthly: window(accepted.month, nextMonth) },
    contacts: { used: 0, limit: null },
    segments: { used: 0, limit: null },
    broadcasts: { used: 0, limit: null },
    ai_credits: { used: 0, limit: null, next_increase_at: null },
    automation_runs: { used: 0, limit: null, resets_at: nextMonth.toISOString() },
    domains: { used: domainCount?.n ?? 0, limit: null },
    rate_limit: { limit: Number.isFinite(perSecond) ? perSecond : null, duration: '1s' },
  };
}

/**
 * The organization as a whole: its plan, the limits that apply to it and what it holds against
 * them. Counts are of the whole organization (every project and mode), since the limits are.
 */
export async function organizationOverview(deps: UsageDeps, actor: Actor): Promise<OrganizationOverview> {
  const now = deps.clock.now();
  const { day, month } = calendarOf(now);
  const org = await getOrganization(deps, actor.organizationId);
  const ofOrganization = eq(emails.organizationId, actor.organizationId);
  const [[keys], [domainCount], accepted] = await Promise.all([
    deps.db.select({ n: count() }).from(apiKeys).where(eq(apiKeys.organizationId, actor.organizationId)),
    deps.db.select({ n: count() }).from(domains).where(eq(domains.organizationId, actor.organizationId)),
    emailCounts(deps.db, ofOrganization, day, month),
  ]);
  const perSecond = deps.limits.planRates[org.plan];
  return {
    ...org,
    limits: {
      requests_per_second: Number.isFinite(perSecond) ? perSecond : null,
      api_keys: deps.limits.maxKeysPerOrg,
      ip_concurrency: deps.limits.ipConcurrency,
      smtp_connections_per_client: deps.limits.smtpConnectionsPerClient,
      auth_failures_per_minute: deps.limits.authFailureLimit,
    },
    usage: { api_keys: keys?.n ?? 0, domains: domainCount?.n ?? 0, emails_today: accepted.today, emails_this_month: accepted.month },
  };
}

/**
 * Emails accepted this UTC month and, of them, today: one statement. A canceled email (canceled
 * while scheduled, POST /emails/{id}/cancel) was never sent and does not count.
 */
async function emailCounts(db: Db, scope: SQL, day: Date, month: Date): Promise<{ today: number; month: number }> {
  const [row] = await db
    .select({
      today: sql<number>`count(*) filter (where ${emails.createdAt} >= ${day.toISOString()}::timestamptz)`.mapWith(Number),
      month: sql<number>`count(*)`.mapWith(Number),
    })
    .from(emails)
    .where(and(scope, gte(emails.createdAt, month), ne(emails.status, 'canceled')));
  return { today: row?.today ?? 0, month: row?.month ?? 0 };
}

async function planOf(db: Db, actor: Actor): Promise<Plan> {
  if (actor.kind === 'api_key') return actor.plan;
  const [row] = await db.select({ plan: organizations.plan }).from(organizations).where(eq(organizations.id, actor.organizationId)).limit(1);
  if (!row) throw notFound('Organization');
  return row.plan;
}

function calendarOf(now: Date): { day: Date; month: Date; nextDay: Date; nextMonth: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  return {
    day: new Date(Date.UTC(y, m, d)),
    month: new Date(Date.UTC(y, m, 1)),
    nextDay: new Date(Date.UTC(y, m, d + 1)),
    nextMonth: new Date(Date.UTC(y, m + 1, 1)),
  };
}
