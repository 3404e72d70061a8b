import type { MetricName, MetricsRow } from '../../api/types.ts';

// What the analytics page charts, and its date range: plain dates, read as UTC days by the API.

/** The counts charted, in the order an email goes through them. `received` is the API's name for accepted. */
export const SERIES: { metric: Exclude<MetricName, 'delivery_rate' | 'bounce_rate' | 'delivery_delayed'>; label: string; color: string }[] = [
  { metric: 'received', label: 'Accepted', color: '#94a3b8' },
  { metric: 'sent', label: 'Sent', color: '#6366f1' },
  { metric: 'delivered', label: 'Delivered', color: '#16a34a' },
  { metric: 'bounced', label: 'Bounced', color: '#d97706' },
  { metric: 'failed', label: 'Failed', color: '#dc2626' },
];

export const METRICS_PARAM = [...SERIES.map((s) => s.metric), 'delivery_rate'].join(',');

/** The API allows at most 366 days in one query. */
export const MAX_DAYS = 366;

const DAY_MS = 86_400_000;

/** Today as YYYY-MM-DD in UTC (the API's days are UTC). */
export function todayUtc(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

export function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10);
}

export const countOf = (row: MetricsRow, metric: MetricName): number => row[metric] ?? 0;

/** "12 May" for a period start, in UTC so a day is the day the API counted. */
const dayLabel = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
export function formatDay(period: string): string {
  return dayLabel.format(new Date(period));
}

export function formatRate(rate: number | undefined): string {
  return rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}
