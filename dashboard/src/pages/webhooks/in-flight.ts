import { useEffect } from 'react';
import type { DeliveryStatus } from './webhook-types.ts';

/** While a delivery is queued or under way, its view checks again this often. */
const POLL_MS = 2000;

const IN_FLIGHT: ReadonlySet<DeliveryStatus> = new Set(['pending', 'attempting']);

/**
 * Reloads while any of `statuses` (read from `answer`, the last loaded data) may still change, so
 * a test event or a replay is followed to its outcome without a manual refresh, as the email
 * panel follows a delivery. One check per answer: a new answer arms the next one.
 */
export function usePollWhileInFlight(answer: object | undefined, statuses: readonly DeliveryStatus[], reload: () => void): void {
  const inFlight = statuses.some((s) => IN_FLIGHT.has(s));
  useEffect(() => {
    if (!answer || !inFlight) return undefined;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [answer, inFlight, reload]);
}
