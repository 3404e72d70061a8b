import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { retryDelayMs } from './backoff.js';
import type { TrackingService } from '../tracking/service.js';
import { messageBytes, type ClaimedEmail, type StoredMessage } from './claim.js';
import { signMessage } from './dkim-sign.js';
import type { EmailQueue } from './queue.js';
import type { Recorder, Outcome } from './record.js';
import type { SigningKey, SigningKeys } from './signing-keys.js';
import { captureTransport, type Transport } from './transport.js';

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
  if (!domain.ok) return { kind: 'hard_fail', event: 'failed', error: domain.reason, bounced: [] };
  if (!email.message) return { kind: 'hard_fail', event: 'failed', error: 'the message of this email is missing', bounced: [] };
  // An email sent as JSON is composed here (a fault in composing is a failed attempt, see above).
  // Security and reputation: an address that bounced hard or complained is never sent to again.
  const blocked = new Set(email.suppressed);
  const recipients = email.recipients.filter((address) => !blocked.has(address.toLowerCase()));
  if (recipients.length === 0) return { kind: 'hard_fail', event: 'suppressed', error: `on the suppression list: ${email.suppressed.join(', ')}`, bounced: [] };
  const raw = await messageBytes(tracked(deps, email, email.message));
  const signed = domain.key ? await signMessage(raw, domain.key) : raw;
  return send(deps, { ...email, recipients }, signed);
}

/**
 * An email sent as JSON with its HTML's links and pixel going through Postgate, when its domain
 * asks for open or click tracking (the stored HTML stays the original). Raw SMTP submissions are
 * sent as submitted (docs/tracking.md).
 */
function tracked(deps: DeliveryDeps, email: ClaimedEmail, message: StoredMessage): StoredMessage {
  const domain = email.domain;
  if (!('composed' in message) || message.composed.html === null || !domain || !(domain.openTracking || domain.clickTracking)) return message;
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
  if (result.ok) {
    const response = result.rejected.length > 0 ? `${result.response} (refused: ${result.rejected.join(', ')})` : result.response;
    // Recipients the relay refused (5xx at RCPT) while taking the others bounced: suppressed.
    return { kind: 'sent', via: transport.kind, sentAt, response, signed, bounced: result.rejected };
  }
  // The domain requires TLS and the relay offered none: the operator's relay, not the recipient,
  // is at fault, so the email fails without suppressing anyone.
  if (result.refusal === 'tls_unavailable') return { kind: 'hard_fail', event: 'failed', error: result.error, bounced: [] };
  if (result.permanent) return { kind: 'hard_fail', event: 'bounced', error: result.error, bounced: result.recipientRefused ? email.recipients : [] };
  return softFail(deps, email, result.error);
}

/** Try again after the backoff, or give up once the attempts are spent. */
function softFail(deps: DeliveryDeps, email: ClaimedEmail, error: string): Outcome {
  if (email.attempts >= deps.maxAttempts) {
    return { kind: 'hard_fail', event: 'failed', error: `gave up after ${email.attempts} attempts; last: ${error}`, bounced: [] };
  }
  const delay = retryDelayMs(email.attempts, deps.retryBaseMs, deps.random);
  return { kind: 'soft_fail', retryAt: new Date(email.now.getTime() + delay), error };
}
