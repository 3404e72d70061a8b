import type { Db } from '../../db/client.js';
import { AppError } from '../../lib/errors.js';
import type { Principal } from '../api-keys/principal.js';
import { getSendingDomain, type SendingDomain } from '../domains/service.js';
import type { SendingDomainLookup } from './domain-cache.js';

// Who may send from which domain: the same rules for HTTP and SMTP (and for SMTP both for the
// envelope MAIL FROM and the From header). Decisions are values; the service throws them as
// AppErrors so every edge maps them with its own table.

/** What the sending rules need of the caller: a Principal has it all. */
export type Sender = Pick<Principal, 'organizationId' | 'projectId' | 'mode' | 'domainIds'> & {
  keyId?: string | undefined;
  /** Postgate itself sends (invitations): stored as `system` mail, never shown by the emails API or dashboard. */
  system?: true;
};

export type SenderDecision =
  /** `domain`: the organization's domain of that name, if it has one (test mode may have none). */
  | Readonly<{ ok: true; domain: SendingDomain | undefined }>
  | Readonly<{ ok: false; code: 'domain_not_verified' | 'domain_not_allowed'; message: string }>;

/**
 * Live keys send only from verified domains of their own project; a key with `domain_ids` only
 * from those. Test-mode keys may use any domain, since their mail is only captured, but a key
 * limited to some domains stays limited to them. Another project's domain is as good as unknown.
 */
export function decideSender(sender: Sender, domainName: string, found: SendingDomain | undefined): SenderDecision {
  const domain = found?.projectId === sender.projectId ? found : undefined;
  if (sender.mode === 'live' && domain?.status !== 'verified') {
    return { ok: false, code: 'domain_not_verified', message: `${domainName} is not a verified domain of this project; add and verify it first (POST /domains)` };
  }
  if (sender.domainIds.length > 0 && !(domain && sender.domainIds.includes(domain.id))) {
    return { ok: false, code: 'domain_not_allowed', message: `This API key may not send from ${domainName}` };
  }
  return { ok: true, domain };
}

/**
 * Looks the domain up (once per name per call through `cache`) and decides. `source` is the
 * database, or a lookup that caches across calls (domain-cache.ts).
 */
export async function checkSender(
  source: Db | SendingDomainLookup,
  sender: Sender,
  domainName: string,
  cache: Map<string, SendingDomain | undefined> = new Map(),
): Promise<SenderDecision> {
  if (!cache.has(domainName)) {
    const domain =
      typeof source === 'function'
        ? await source(sender.organizationId, domainName, sender.mode)
        : await getSendingDomain(source, sender.organizationId, domainName);
    cache.set(domainName, domain);
  }
  return decideSender(sender, domainName, cache.get(domainName));
}

/** The decision as an exception, `field` naming what was refused (`from`, `[2].from`, `mail_from`). */
export function assertAllowed(decision: SenderDecision, field: string): SendingDomain | undefined {
  if (!decision.ok) throw new AppError(decision.code, `${field}: ${decision.message}`, { field });
  return decision.domain;
}
