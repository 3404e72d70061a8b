import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { retryDelayMs } from './backoff.js';
import type { TrackingService } from '../tracking/service.js';
import { messageBytes, type ClaimedEmail, type StoredMessage } from './claim.js';
import { signMessage } from './dkim-sign.js';
import type { EmailQueue } from './queue.js';
import type { Recorder, Outcome } from './record.js';
import type { SigningKey, SigningKeys } from './signing-keys.js';
import { captureTransport, describeRefusals, type Refusal, type Transport } from './transport.js';

// One delivery attempt of a claimed email, as a list of named steps (Postal's outgoing message
// processor):
//   claimed (queue.ts) -> check the domain -> check suppressions -> compose (JSON emails) -> sign (DKIM) -> send -> record
// Each outcome is Sent, SoftFail(retry at) or HardFail.

export type DeliveryDeps = Readonly<{
  clock: Clock;
  logger: Logger;
  /** SMTP_RELAY_URL's transport; undefined: capture everything. */
  relay: Transport | undefined;
  queue: Pick<EmailQueue, 'claimById'>;
  keys: SigningKeys;
  recorder: Recorder;
  /** Rewrites the HTML of emails whose domain tracks opens or clicks. */
  tracking: Pick<TrackingService, 'trackHtmlFor'>;
  retryBaseMs: number;
  maxAttempts: number;
  random?: (() => number) | undefined;
}>;

export type DeliveryReport = Readonly<{ emailId: string; result: Outcome['kind'] | 'lost_claim' | 'not_due' }>;

/** Claims the email `emailId` now, if it is due, and delivers it (outside the worker's loop). */
export async function deliverEmail(deps: DeliveryDeps, emailId: string): Promise<DeliveryReport> {
  const email = await deps.queue.claimById(emailId);
  return email ? deliverClaimed(deps, email) : { emailId, result: 'not_due' };
}

export async function deliverClaimed(deps: DeliveryDeps, email: ClaimedEmail): Promise<DeliveryReport> {
  const outcome = await attempt(deps, email).catch((error: unknown) => {
    // A fault of ours (a message that will not compose, say) counts as a failed attempt, so the
    // email ends `failed` after maxAttempts instead of being held forever.
    deps.logger.error({ err: error, emailId: email.id }, 'delivery: attempt failed unexpectedly');
    return softFail(deps, email, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  });
  const recorded = await deps.recorder.record(email, outcome);
  if (!recorded) deps.logger.warn({ emailId: email.id, attempt: email.attempts }, 'delivery: the attempt lost its claim; its outcome was not recorded');
  deps.logger.debug({ emailId: email.id, attempt: email.attempts, outcome: outcome.kind }, 'delivery attempt');
  return { emailId: email.id, result: recorded ? outcome.kind : 'lost_claim' };
}

async function attempt(deps: DeliveryDeps, email: ClaimedEmail): Promise<Outcome> {
  const domain = await checkDomain(deps.keys, email);
  if (!domain.ok) return hardFail('failed', domain.reason);
  if (!email.message) return hardFail('failed', 'the message of this email is missing');
  // An email sent as JSON is composed here (a fault in composing is a failed attempt, see above).
  // Security and reputation: an address that bounced hard or complained is never sent to again.
  const blocked = new Set(email.suppressed);
  const recipients = email.recipients.filter((address) => !blocked.has(address.toLowerCase()));
  const skipped = email.recipients.filter((address) => blocked.has(address.toLowerCase()));
  if (recipients.length === 0) return hardFail('suppressed', `on the suppression list: ${email.suppressed.join(', ')}`);
  const raw = await messageBytes(tracked(deps, email, email.message));
  const signed = domain.key ? await signMessage(raw, domain.key) : raw;
  const outcome = await send(deps, { ...email, recipients }, signed);
  if (skipped.length === 0) return outcome;
  // Those left out are said so in the email's history (email.suppressed), once: a retry goes to the others only.
  const narrowed = outcome.kind === 'soft_fail' && !outcome.recipients ? { ...outcome, recipients } : outcome;
  return { ...narrowed, skipped };
}

/**
 * An email sent as JSON with its HTML's links and pixel going through Postgate, when its domain
 * asks for open or click tracking (the stored HTML stays the original). Raw SMTP submissions are
 * sent as submitted, and test-mode mail is never tracked: its captured message is readable by its
 * sender, so tracking it would hand any sandbox key signed redirects to URLs of its choosing on
 * this server's address (docs/tracking.md).
 */
function tracked(deps: DeliveryDeps, email: ClaimedEmail, message: StoredMessage): StoredMessage {
  const domain = email.domain;
  if (email.mode === 'test' || !('composed' in message) || message.composed.html === null || !domain || !(domain.openTracking || domain.clickTracking)) return message;
  const html = deps.tracking.trackHtmlFor({ emailId: email.id, html: message.composed.html, openTracking: domain.openTracking, clickTracking: domain.clickTracking });
  return { composed: { ...message.composed, html } };
}

type DomainCheck = { ok: true; key: SigningKey | undefined } | { ok: false; reason: string };

/**
 * Live mail leaves only from a domain that is still verified (it may have been deleted or have
 * failed a re-check since acceptance), and is signed with its key. Test-mode mail is only
 * captured; it is signed when its domain happens to be verified.
 */
async function checkDomain(keys: SigningKeys, email: ClaimedEmail): Promise<DomainCheck> {
  const domain = email.domain;
  const key = domain?.status === 'verified' ? await keys.keyFor(domain) : undefined;
  if (email.mode === 'live' && !key) {
    return { ok: false, reason: domain ? `the sending domain ${domain.name} is no longer verified` : 'the sending domain was deleted' };
  }
  return { ok: true, key };
}

async function send(deps: DeliveryDeps, email: ClaimedEmail, signed: Buffer): Promise<Outcome> {
  // Security: test-mode keys never deliver outside, whatever the configuration.
  const transport = email.mode === 'test' || !deps.relay ? captureTransport : deps.relay;
  const sentAt = deps.clock.now();
  const result = await transport.send({ envelopeFrom: email.envelopeFrom, recipients: email.recipients, raw: signed }, { requireTls: email.domain?.tls === 'enforced' });
  // Recipients the relay refused for good are suppressed; those it refused for now get the retry, alone.
  const bounced = result.refused.permanently;
  const deferred = result.refused.temporarily;
  const later = deferred.map((r) => r.recipient);
  if (result.ok) {
    const refused = [...bounced, ...deferred].map((r) => r.recipient);
    const response = refused.length > 0 ? `${result.response} (refused: ${refused.join(', ')})` : result.response;
    const sent = { kind: 'sent', via: transport.kind, sentAt, response, signed, bounced } as const;
    return deferred.length === 0 ? sent : { ...sent, then: softFail(deps, email, `refused for now: ${describeRefusals(deferred)}`, { recipients: later }) };
  }
  // The domain requires TLS and the relay will not give it: the operator's relay, not the
  // recipient, is at fault, so the email fails (at once when the refusal is final) without
  // suppressing anyone.
  if (result.refusal === 'tls_unavailable') return result.permanent ? hardFail('failed', result.error) : softFail(deps, email, result.error);
  if (result.permanent) return hardFail('bounced', result.error, bounced);
  return softFail(deps, email, result.error, { bounced, recipients: later.length > 0 ? later : undefined });
}

const hardFail = (event: 'bounced' | 'failed' | 'suppressed', error: string, bounced: readonly Refusal[] = []): Outcome => ({ kind: 'hard_fail', event, error, bounced });

/**
 * Try again after the backoff (to `recipients` only, when some were refused for now), or give up
 * once the attempts are spent. `bounced`: refused for good in this attempt, suppressed either way.
 */
function softFail(deps: DeliveryDeps, email: ClaimedEmail, error: string, also: { bounced?: readonly Refusal[]; recipients?: readonly string[] | undefined } = {}): Extract<Outcome, { kind: 'soft_fail' | 'hard_fail' }> {
  const bounced = also.bounced ?? [];
  if (email.attempts >= deps.maxAttempts) {
    return { kind: 'hard_fail', event: 'failed', error: `gave up after ${email.attempts} attempts; last: ${error}`, bounced };
  }
  const delay = retryDelayMs(email.attempts, deps.retryBaseMs, deps.random);
  return { kind: 'soft_fail', retryAt: new Date(email.now.getTime() + delay), error, bounced, recipients: also.recipients };
}
