import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailEvents, emails } from '../../db/schema.js';
import { clientAddress } from '../../lib/client-address.js';
import type { Clock } from '../../lib/clock.js';
import type { SecretBox } from '../accounts/secret-box.js';
import { BoundedMap } from '../limits/bounded-map.js';
import { trackHtml } from './links.js';
import { verifyToken, type Signer, type TrackingKind, type TrackingToken } from './tokens.js';

// Open and click tracking: the HTML rewrite at delivery, and what a recipient's mail client
// reaching a tracking URL records. An open or a click is one `email_events` row (`opened`,
// `clicked`); a trigger of the database turns it into the `email.opened` / `email.clicked`
// webhook event in the same transaction (migration 0011). Every open and every click is recorded,
// as Resend sends every one: opens are approximate anyway (image proxies and privacy features
// load the pixel, or never do), and deduplicating would only hide a reader coming back. Up to a
// bound, though: the URLs are public, and a loop on one token would write a history row, an event
// and a webhook delivery per request. One client (an IPv4 address, an IPv6 /64) gets at most
// RECORDED_PER_CLIENT of one email's opens and clicks recorded per minute, per process; past it,
// it still gets its image or its redirect (only while the email exists, as before).

export type TrackingDeps = Readonly<{
  db: Db;
  clock: Clock;
  /** The install's secret box: tokens are signed under its `tracking-link` purpose. */
  box: SecretBox;
  /** POSTGATE_PUBLIC_URL: the address tracking URLs point at. */
  publicUrl: string;
}>;

/** Who reached a tracking URL, as the HTTP edge saw them. */
export type TrackingClient = Readonly<{ ip: string | null; userAgent: string | null }>;

/** The HTML of an email and its domain's settings, as delivery has them. */
export type TrackableEmail = Readonly<{ emailId: string; html: string; openTracking: boolean; clickTracking: boolean }>;

export type TrackingService = Readonly<{
  /** The HTML with its links and pixel rewritten as the domain's settings ask (unchanged when both are off). */
  trackHtmlFor(email: TrackableEmail): string;
  /** The token's content when Postgate signed it for this kind; no database access. */
  verifyToken(kind: TrackingKind, token: string): TrackingToken | undefined;
  /** Records an open; false when the token is not Postgate's or its email does not exist (any more). */
  recordOpen(token: string, client: TrackingClient): Promise<boolean>;
  /** Records a click and answers where to send the recipient; undefined as recordOpen's false. */
  recordClick(token: string, client: TrackingClient): Promise<string | undefined>;
}>;

const PURPOSE = 'tracking-link';
/** Opens and clicks of one email recorded per client and minute, at most (see above). */
export const RECORDED_PER_CLIENT = 10;
const WINDOW_MS = 60_000;

export function createTrackingService(deps: TrackingDeps): TrackingService {
  const sign: Signer = (data) => deps.box.sign(PURPOSE, data);
  const windows = new BoundedMap<{ since: number; count: number }>(100_000, (w) => deps.clock.nowMs() - w.since >= WINDOW_MS);
  /** Counts this request against its client's allowance for the email; false once it is spent. */
  const allowed = (client: TrackingClient, emailId: string): boolean => {
    const key = `${clientAddress(client.ip ?? '').limitKey} ${emailId}`;
    const now = deps.clock.nowMs();
    const window = windows.get(key);
    if (!window || now - window.since >= WINDOW_MS) {
      windows.set(key, { since: now, count: 1 });
      return true;
    }
    window.count++;
    return window.count <= RECORDED_PER_CLIENT;
  };
  return {
    trackHtmlFor: (email) => trackHtml(email.html, { ...email, publicUrl: deps.publicUrl, sign }),
    verifyToken: (kind, token) => verifyToken(kind, token, sign),
    // Resend's email.opened carries no details of the reader, so none are kept.
    recordOpen: async (token, client) => {
      const open = verifyToken('open', token, sign);
      if (open === undefined) return false;
      return allowed(client, open.emailId) ? recordEvent(deps, open.emailId, 'opened', null) : emailExists(deps, open.emailId);
    },
    recordClick: async (token, client) => {
      const click = verifyToken('click', token, sign);
      if (click?.kind !== 'click') return undefined;
      const at = deps.clock.now();
      // Exactly Resend's click object, in its order: the trigger copies it into the webhook's `click`.
      const detail = JSON.stringify({ ipAddress: client.ip ?? '', link: click.url, timestamp: at.toISOString(), userAgent: client.userAgent ?? '' });
      const known = allowed(client, click.emailId) ? await recordEvent(deps, click.emailId, 'clicked', detail, at) : await emailExists(deps, click.emailId);
      if (!known) return undefined;
      // Serialised by the URL parser: ASCII only (safe in a Location header), what a browser would follow.
      return new URL(click.url).href;
    },
  };
}

/** Past a client's allowance nothing is written, but a link of a deleted email still leads nowhere. */
async function emailExists(deps: TrackingDeps, emailId: string): Promise<boolean> {
  const [email] = await deps.db.select({ id: emails.id }).from(emails).where(eq(emails.id, emailId));
  return email !== undefined;
}

/**
 * Appends the event to the email's history, when the email exists. The email's row is locked
 * (key share) so it cannot be deleted between the check and the insert. `last_event` follows
 * opens and clicks of delivered mail, as Resend's does; the status of an email in flight or
 * failed is never touched.
 */
async function recordEvent(deps: TrackingDeps, emailId: string, type: 'opened' | 'clicked', detail: string | null, at: Date = deps.clock.now()): Promise<boolean> {
  return deps.db.transaction(async (tx) => {
    const [email] = await tx.select({ id: emails.id, status: emails.status }).from(emails).where(eq(emails.id, emailId)).for('key share');
    if (!email) return false;
    await tx.insert(emailEvents).values({ emailId, type, detail, createdAt: at });
    if (email.status === 'delivered') {
      await tx.update(emails).set({ lastEvent: type }).where(and(eq(emails.id, emailId), eq(emails.status, 'delivered')));
    }
    return true;
  });
}
