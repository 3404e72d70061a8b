import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import type { Actor } from '../api-keys/principal.js';
import { emailMetrics } from './metrics.js';
import type { MetricsQuery, MetricsResponse, OrganizationOverview, UsageResponse } from './schemas.js';
import { organizationOverview, usageOf, type LimitsConfig } from './usage.js';

export type AnalyticsDeps = Readonly<{ db: Db; clock: Clock; limits: LimitsConfig }>;

/** Counting what an organization sent and holds, bound to its deps once (app/services.ts). */
export type AnalyticsService = Readonly<{
  /** GET /emails/metrics: the query as parsed by metricsQuery. */
  emailMetrics(actor: Actor, query: MetricsQuery): Promise<MetricsResponse>;
  /** GET /usage */
  usage(actor: Actor): Promise<UsageResponse>;
  /** GET /organization: plan, limits and usage against them. */
  organization(actor: Actor): Promise<OrganizationOverview>;
}>;

export function createAnalyticsService(deps: AnalyticsDeps): AnalyticsService {
  return {
    emailMetrics: (actor, query) => emailMetrics(deps, actor, query),
    usage: (actor) => usageOf(deps, actor),
    organization: (actor) => organizationOverview(deps, actor),
  };
}
