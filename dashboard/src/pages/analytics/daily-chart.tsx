import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricsRow } from '../../api/types.ts';
import { TableHead } from '../../components/table-head.tsx';
import { countOf, formatDay, SERIES } from './series.ts';

/** Emails per day by outcome: a bar chart, and the same numbers as a table of the days with mail. */
export function DailyChart({ days }: { days: MetricsRow[] }): ReactNode {
  const accepted = days.reduce((sum, day) => sum + countOf(day, 'received'), 0);
  const active = days.filter((day) => countOf(day, 'received') > 0).reverse();
  const data = days.map((day) => ({ ...day, label: formatDay(day.period!) }));
  return (
    <>
      <div className="chart" role="img" aria-label={`Bar chart of emails per day by outcome; ${accepted} accepted in the range`}>
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
            <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={16} />
            <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
            <Tooltip />
            {/* In the order an email goes through them, not alphabetical (recharts' default). */}
            <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={(item) => SERIES.findIndex((s) => s.metric === item.dataKey)} />
            {SERIES.map((s) => (
              <Bar key={s.metric} dataKey={s.metric} name={s.label} fill={s.color} radius={[2, 2, 0, 0]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      {active.length > 0 ? (
        <table className="table responsive-table analytics-days">
          <caption className="visually-hidden">Emails per day with mail, newest first</caption>
          <TableHead columns={['Day', ...SERIES.map((s) => s.label)]} />
          <tbody>
            {active.map((day) => (
              <tr key={day.period} data-day={day.period!.slice(0, 10)}>
                <td data-label="Day" className="nowrap">
                  <time dateTime={day.period}>{formatDay(day.period!)}</time>
                </td>
                {SERIES.map((s) => (
                  <td key={s.metric} data-label={s.label} data-metric={s.metric}>
                    {countOf(day, s.metric)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
