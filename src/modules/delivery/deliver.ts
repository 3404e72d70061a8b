import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { domains } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { retryDelayMs } from './backoff.js';
import { claimEmail, messageBytes, type ClaimedEmail } from './claim.js';
import { signMessage, type SigningKey } from './dkim-sign.js';
import type { EmailQueue } from './queue.js';
import { recordOutcome, type Outcome } from './record.js';
import { captureTransport, type Transport } from './transport.js';

// One delivery attempt, as a list of named steps (Postal's outgoing message processor):
//   load (claim) -> check the domain -> sign (DKIM) -> send -> record the outcome
// Each outcome is Sent, SoftFail(retry at) or HardFail; the job named only the email's id.

export type DeliveryDeps = Readonly<{
  db: Db;
  clock: Clock;
  logger: Logger;
  queue: EmailQueue;
  /** SMTP_RELAY_URL's transport; undefined: capture everything. */
  relay: Transport | undefined;
  retryBaseMs: number;
  maxAttempts: number;
  leaseSeconds: number;
  random?: () => number;
}>;

export type DeliveryReport = Readonly<{ emailId: string; result: Outcome['kind'] | 'finished' | 'not_due' | 'held' | 'lost_claim' }>;

export async function deliverEmail(deps: DeliveryDeps, emailId: string): Promise<DeliveryReport> {
  const claim = await claimEmail(deps.db, emailId, deps.leaseSeconds);
  if (claim.kind === 'held') {
    // Whoever holds it may have died: look again once its lease is over.
    await deps.queue.enqueue(deps.db, [{ emailId, startAfter: new Date(claim.until.getTime() + 1000) }]);
  }
  if (claim.kind !== 'claimed') return { emailId, result: claim.kind };
  const email = claim.email;
  const outcome = await attempt(deps, email).catch((error: unknown) => {
    // A fault of ours (a key that will not load, say) counts as a failed attempt, so the email
    // ends `failed` after maxAttempts instead of being held forever.
    deps.logger.error({ err: error, emailId }, 'delivery: attempt failed unexpectedly');
    return softFail(deps, email, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  });
  const recorded = await recordOutcome(deps, email, outcome);
  if (!recorded) deps.logger.warn({ emailId, attempt: email.attempts }, 'delivery: the attempt lost its claim; its outcome was not recorded');
  deps.logger.debug({ emailId, attempt: email.attempts, outcome: outcome.kind }, 'delivery attempt');
  return { emailId, result: recorded ? outcome.kind : 'lost_claim' };
}

async function attempt(deps: DeliveryDeps, email: ClaimedEmail): Promise<Outcome> {
  const domain = await checkDomain(deps.db, email);
  if (!domain.ok) return { kind: 'hard_fail', event: 'failed', error: domain.reason };
  // An email sent as JSON is composed here (a fault in composing is a failed attempt, see above).
  const raw = await messageBytes(email.message);
  const signed = domain.key ? await signMessage(raw, domain.key) : raw;
  return send(deps, email, signed);
}

type DomainCheck = { ok: true; key: SigningKey | undefined } | { ok: false; reason: string };

/**
 * Live mail leaves only from a domain that is still verified (it may have been deleted or have
 * failed a re-check since acceptance), and is signed with its key. Test-mode mail is only
 * captured; it is signed when its domain happens to be verified.
 */
export async function checkDomain(db: Db, email: Pick<ClaimedEmail, 'organizationId' | 'mode' | 'domainId'>): Promise<DomainCheck> {
  const [domain] = email.domainId
    ? await db
        .select({ name: domains.name, status: domains.status, selector: domains.dkimSelector, privateKey: domains.dkimPrivateKey })
        .from(domains)
        .where(and(eq(domains.id, email.domainId), eq(domains.organizationId, email.organizationId)))
        .limit(1)
    : [];
  const key = domain?.status === 'verified' ? { domainName: domain.name, selector: domain.selector, privateKey: domain.privateKey } : undefined;
  if (email.mode === 'live' && !key) {
    return { ok: false, reason: domain ? `the sending domain ${domain.name} is no longer verified` : 'the sending domain was deleted' };
  }
  return { ok: true, key };
}

async function send(deps: DeliveryDeps, email: ClaimedEmail, signed: Buffer): Promise<Outcome> {
  // Security: test-mode keys never deliver outside, whatever the configuration.
  const transport = email.mode === 'test' || !deps.relay ? captureTransport : deps.relay;
  const sentAt = deps.clock.now();
  const result = await transport.send({ envelopeFrom: email.envelopeFrom, recipients: email.recipients, raw: signed });
  if (result.ok) {
    const response = result.rejected.length > 0 ? `${result.response} (refused: ${result.rejected.join(', ')})` : result.response;
    return { kind: 'sent', via: transport.kind, sentAt, response, signed };
  }
  if (result.permanent) return { kind: 'hard_fail', event: 'bounced', error: result.error };
  return softFail(deps, email, result.error);
}

/** Try again after the backoff, or give up once the attempts are spent. */
function softFail(deps: DeliveryDeps, email: ClaimedEmail, error: string): Outcome {
  if (email.attempts >= deps.maxAttempts) {
    return { kind: 'hard_fail', event: 'failed', error: `gave up after ${email.attempts} attempts; last: ${error}` };
  }
  const delay = retryDelayMs(email.attempts, deps.retryBaseMs, deps.random);
  return { kind: 'soft_fail', retryAt: new Date(email.now.getTime() + delay), error };
}
