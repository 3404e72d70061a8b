import type { ReactNode } from 'react';
import { DataTable } from '../../components/data-table.tsx';
import { formatDate } from '../../lib/format.ts';
import { disabledReasonText, EndpointStatusBadge } from './webhook-badges.tsx';
import type { Webhook } from './webhook-types.ts';

/** How many event types a row spells out before "and N more". */
const EVENTS_SHOWN = 3;

export function WebhooksTable({ webhooks }: { webhooks: Webhook[] }): ReactNode {
  return (
    <DataTable columns={['Endpoint', 'Status', 'Events', 'Created']} label="Webhooks">
      {webhooks.map((webhook) => {
        const reason = disabledReasonText(webhook);
        const more = webhook.events.length - EVENTS_SHOWN;
        return (
          <tr key={webhook.id} data-webhook-id={webhook.id}>
            <td data-label="Endpoint" className="webhook-endpoint">
              <a href={`#/webhooks/${webhook.id}`}>{webhook.endpoint}</a>
            </td>
            <td data-label="Status">
              <EndpointStatusBadge status={webhook.status} />
              {reason ? <div className="webhook-reason">{reason}</div> : null}
            </td>
            <td data-label="Events">
              <span className="webhook-events">
                {webhook.events.slice(0, EVENTS_SHOWN).join(', ')}
                {more > 0 ? <span className="muted"> and {more} more</span> : null}
              </span>
            </td>
            <td data-label="Created" className="nowrap">
              {formatDate(webhook.created_at)}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
