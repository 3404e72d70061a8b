import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { EmailMetrics, MetricsRow } from '../../api/types.ts';
import { ErrorState, FormError, Loading } from '../../components/states.tsx';
import { useLoad } from '../../lib/use-load.ts';
import { BreakdownTable } from './breakdown-table.tsx';
import { DailyChart } from './daily-chart.tsx';
import { countOf, daysBefore, formatRate, MAX_DAYS, METRICS_PARAM, SERIES, todayUtc } from './series.ts';
import './analytics.css';

type Report = { days: EmailMetrics; domains: MetricsRow[]; keys: MetricsRow[] };

/**
 * What became of the emails accepted in a date range (UTC days, the last 14 by default): totals,
 * a chart per day, and the same counts by sending domain and by API key. Every number comes from
 * GET /emails/metrics, the endpoint the resend SDK's emails.metrics() calls.
 */
export function AnalyticsPage(): ReactNode {
  const [to, setTo] = useState(() => todayUtc());
  const [from, setFrom] = useState(() => daysBefore(todayUtc(), 13));
  const report = useLoad(() => loadReport(from, to), [from, to]);
  // A bad range is the API's to refuse (422 naming the field); shown beside the inputs.
  const rangeError = report.error?.code === 'validation_error' ? report.error : undefined;

  return (
    <section aria-labelledby="analytics-title">
      <div className="page-header">
        <div>
          <h1 id="analytics-title">Analytics</h1>
          <p className="muted">Emails accepted in the range and what became of them. Days are UTC; each email counts on the day it was accepted.</p>
        </div>
        <button type="button" className="button" onClick={report.reload} disabled={report.loading}>
          {report.loading && report.data ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>

      <form className="analytics-range" aria-label="Date range" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="analytics-from">From</label>
          <input id="analytics-from" type="date" value={from} max={to} required onChange={(e) => e.target.value && setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="analytics-to">To</label>
          <input id="analytics-to" type="date" value={to} min={from} required onChange={(e) => e.target.value && setTo(e.target.value)} />
        </div>
        <p className="field-hint">At most {MAX_DAYS} days.</p>
        <FormError message={rangeError?.message} />
      </form>

      {report.loading && !report.data ? <Loading label="Counting emails…" /> : null}
      {report.error && !rangeError ? <ErrorState error={report.error} onRetry={report.reload} /> : null}
      {report.data ? <ReportView report={report.data} /> : null}
    </section>
  );
}

async function loadReport(from: string, to: string): Promise<Report> {
  const query = (dimensions: string): Promise<EmailMetrics> =>
    api.get<EmailMetrics>(`/emails/metrics?start_date=${from}&end_date=${to}&granularity=daily&dimensions=${dimensions}&metrics=${METRICS_PARAM}`);
  const [days, domains, keys] = await Promise.all([query('period'), query('domain'), query('api_key')]);
  return { days, domains: domains.data ?? [], keys: keys.data ?? [] };
}

function ReportView({ report }: { report: Report }): ReactNode {
  const totals = report.days.totals;
  return (
    <>
      <dl className="metric-tiles" aria-label="Totals in the range">
        {SERIES.map((s) => (
          <div key={s.metric} className="metric-tile" data-metric={s.metric}>
            <dt>{s.label}</dt>
            <dd>{countOf(totals, s.metric)}</dd>
          </div>
        ))}
        <div className="metric-tile" data-metric="delivery_rate">
          <dt>Delivery rate</dt>
          <dd>{formatRate(totals.delivery_rate)}</dd>
        </div>
      </dl>

      <section className="analytics-section" aria-labelledby="analytics-daily">
        <h2 id="analytics-daily">Per day</h2>
        <DailyChart days={report.days.data ?? []} />
      </section>

      <section className="analytics-section" aria-labelledby="analytics-domains">
        <h2 id="analytics-domains">By domain</h2>
        <BreakdownTable
          heading="Domain"
          rows={report.domains}
          keyOf={(row) => row.domain_id ?? 'none'}
          labelOf={(row) => row.domain_name ?? (row.domain_id ? 'Deleted domain' : 'No domain of the organization')}
        />
      </section>

      <section className="analytics-section" aria-labelledby="analytics-keys">
        <h2 id="analytics-keys">By API key</h2>
        <BreakdownTable
          heading="API key"
          rows={report.keys}
          keyOf={(row) => row.api_key_id ?? 'none'}
          labelOf={(row) => row.api_key_name ?? (row.api_key_id ? 'Deleted key' : 'No key')}
        />
      </section>
    </>
  );
}
