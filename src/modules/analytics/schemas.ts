import { z } from 'zod';
import { isStorableYear, STORABLE_YEARS } from '../../lib/storable-time.js';

// Request and response shapes of GET /emails/metrics, GET /usage and GET /organization, as the
// resend SDK (6.38) sends and reads them: query parameters in snake_case, lists comma-separated.

/** Every metric the SDK names, in its order. Those Postgate cannot observe yet answer 0 (docs/analytics.md). */
export const METRICS = [
  'received',
  'delivered',
  'complained',
  'suppressed',
  'bounced',
  'bounced_transient',
  'bounced_permanent',
  'bounced_undetermined',
  'opened',
  'clicked',
  'unsubscribed',
  'delivery_delayed',
  'failed',
  'sent',
  'unique_opened',
  'unique_clicked',
  'delivery_rate',
  'open_rate',
  'click_rate',
  'bounce_rate',
  'complaint_rate',
  'unsubscribe_rate',
] as const;
export type Metric = (typeof METRICS)[number];

/**
 * `period` and `domain` as in Resend; `api_key` and `status` are Postgate's own. Resend's `email`
 * and `broadcast` dimensions are refused (422): one row per email is the email log's job, and
 * Postgate has no broadcasts.
 */
export const DIMENSIONS = ['period', 'domain', 'api_key', 'status'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const GRANULARITIES = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const MAX_IDS = 100;

/** A comma-separated list (the SDK's `metrics=a,b`), each item one of `allowed`; duplicates dropped. */
function listOf<T extends string>(allowed: readonly T[]) {
  return z
    .string()
    .max(2000)
    .transform((text, ctx): T[] => {
      const items = [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
      const unknown = items.find((item) => !(allowed as readonly string[]).includes(item));
      if (unknown !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(unknown.slice(0, 64))} is not one of ${allowed.join(', ')}`, input: text });
        return z.NEVER;
      }
      return items as T[];
    });
}

/** A comma-separated list of ids (filters): at most 100. */
const idList = z
  .string()
  .max(MAX_IDS * 70)
  .transform((text, ctx): string[] => {
    const ids = [...new Set(text.split(',').map((id) => id.trim()).filter((id) => id !== ''))];
    if (ids.length > MAX_IDS || ids.some((id) => id.length > 64)) {
      ctx.addIssue({ code: 'custom', message: `give at most ${MAX_IDS} ids of at most 64 characters`, input: text });
      return z.NEVER;
    }
    return ids;
  });

const isoDate = z
  .string()
  .max(40)
  .refine(
    (text) => z.iso.date().safeParse(text).success || z.iso.datetime({ offset: true }).safeParse(text).success,
    'must be an ISO 8601 date (2025-05-01) or date-time with a zone (2025-05-01T09:30:00Z)',
  )
  .refine(isStorableYear, `must be a date ${STORABLE_YEARS}`);

/** Whether the runtime knows the IANA zone (`Europe/Paris`, `UTC`); PostgreSQL is asked too, later. */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const metricsQuery = z.strictObject({
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
  timezone: z
    .string()
    .max(64)
    .regex(/^[A-Za-z][A-Za-z0-9_+\-/]*$/, 'must be an IANA time zone such as Europe/Paris')
    .refine(isTimeZone, 'is not a time zone this server knows (an IANA name such as Europe/Paris)')
    .optional(),
  granularity: z.enum(GRANULARITIES).default('daily'),
  metrics: listOf(METRICS).optional(),
  dimensions: listOf(DIMENSIONS).optional(),
  domain_id: idList.optional(),
  email_id: idList.optional(),
  /** Accepted for the SDK; Postgate has no broadcasts, so no email matches (all zeros). */
  broadcast_id: idList.optional(),
});
export type MetricsQuery = z.infer<typeof metricsQuery>;

const counts = z.partialRecord(z.enum(METRICS), z.number());
export type MetricValues = z.infer<typeof counts>;

export const metricsRow = z.intersection(
  z.object({
    /** Start of the period (ISO date-time), with `period`. */
    period: z.string().optional(),
    domain_id: z.string().nullable().optional(),
    domain_name: z.string().nullable().optional(),
    api_key_id: z.string().nullable().optional(),
    api_key_name: z.string().nullable().optional(),
    status: z.string().optional(),
  }),
  counts,
);
export type MetricsRow = z.infer<typeof metricsRow>;

export const metricsResponse = z.object({
  object: z.literal('metrics'),
  start_date: z.string(),
  end_date: z.string(),
  timezone: z.string(),
  metrics: z.array(z.enum(METRICS)),
  dimensions: z.array(z.enum(DIMENSIONS)),
  granularity: z.enum(GRANULARITIES),
  totals: counts,
  data: z.array(metricsRow).optional(),
});
export type MetricsResponse = z.infer<typeof metricsResponse>;

const usedOf = (limit: z.ZodType) => z.object({ used: z.number(), limit });
const emailWindow = z.object({ used: z.number(), limit: z.number().nullable(), sent: z.number(), received: z.number(), resets_at: z.string() });

/** GET /usage in the SDK's GetUsageResponseSuccess shape; `null` limits: Postgate sets none there. */
export const usageResponse = z.object({
  object: z.literal('usage'),
  emails: z.object({ daily: emailWindow, monthly: emailWindow }),
  contacts: usedOf(z.number().nullable()),
  segments: usedOf(z.number().nullable()),
  broadcasts: usedOf(z.null()),
  ai_credits: z.object({ used: z.number(), limit: z.number().nullable(), next_increase_at: z.string().nullable() }),
  automation_runs: z.object({ used: z.number(), limit: z.number().nullable(), resets_at: z.string() }),
  domains: usedOf(z.number().nullable()),
  rate_limit: z.object({ limit: z.number().nullable(), duration: z.string() }),
});
export type UsageResponse = z.infer<typeof usageResponse>;

export const organizationOverview = z.object({
  object: z.literal('organization'),
  id: z.string(),
  name: z.string(),
  plan: z.enum(['free', 'pro', 'scale', 'unlimited']),
  default_project_id: z.string(),
  created_at: z.string(),
  limits: z.object({
    /** API requests per second of the plan; null: unlimited. */
    requests_per_second: z.number().nullable(),
    api_keys: z.number(),
    ip_concurrency: z.number(),
    smtp_connections_per_client: z.number(),
    auth_failures_per_minute: z.number(),
  }),
  usage: z.object({
    api_keys: z.number(),
    domains: z.number(),
    emails_today: z.number(),
    emails_this_month: z.number(),
  }),
});
export type OrganizationOverview = z.infer<typeof organizationOverview>;
