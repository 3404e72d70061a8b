import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../../api/client.ts';
import type { ApiKey, KeyUsage } from '../../api/types.ts';
import { Dialog } from '../../components/dialog.tsx';
import { EmptyState, ErrorState, Loading } from '../../components/states.tsx';
import { formatAgo } from '../../lib/format.ts';
import { useLoad } from '../../lib/use-load.ts';

/** Requests per day over the last 30 days, and the addresses the key was used from. */
export function UsageDialog({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }): ReactNode {
  const usage = useLoad(() => api.get<KeyUsage>(`/api-keys/${apiKey.id}/usage?days=30`), [apiKey.id]);
  return (
    <Dialog title={`Usage of ${apiKey.name}`} description="Requests per day, last 30 days (UTC)." name="usage" onClose={onClose}>
      {usage.loading && !usage.data ? <Loading /> : null}
      {usage.error ? <ErrorState error={usage.error} onRetry={usage.reload} /> : null}
      {usage.data ? <UsageBody usage={usage.data} /> : null}
    </Dialog>
  );
}

function UsageBody({ usage }: { usage: KeyUsage }): ReactNode {
  const total = usage.days.reduce((sum, d) => sum + d.total, 0);
  return (
    <>
      <p className="muted">
        <strong>{total}</strong> request{total === 1 ? '' : 's'} in 30 days.
      </p>
      <div className="chart" role="img" aria-label={`Bar chart of requests per day; ${total} in total`}>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={usage.days} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
            <XAxis dataKey="date" tickFormatter={(d: string) => d.slice(5)} tick={{ fontSize: 11 }} minTickGap={16} />
            <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
            <Tooltip formatter={(value) => [value, 'Requests']} labelFormatter={(label) => String(label)} />
            <Bar dataKey="total" fill="#4f46e5" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <h3 className="subheading">Recent client addresses</h3>
      {usage.recent_ips.length === 0 ? (
        <EmptyState title="Not used yet">Addresses appear here once the key makes requests.</EmptyState>
      ) : (
        <ul className="plain-list">
          {usage.recent_ips.map((ip) => (
            <li key={ip.ip}>
              <code>{ip.ip}</code> <span className="muted">{formatAgo(ip.last_seen_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
