import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

// Where signed mail goes. Transports are thin: they hand bytes over and report what the other
// side said; they never touch the database (the worker records the outcome).
//   relay   - SMTP_RELAY_URL through nodemailer, pooled connections, STARTTLS when offered;
//             a send that requires TLS (a domain with `tls: enforced`) goes through a second
//             pool, made on first use, that refuses a relay not offering STARTTLS
//   capture - the default, and always for test-mode keys: nothing leaves; the worker keeps the
//             signed message so it can be read back (GET /emails/{id}/raw).

export type OutgoingMessage = Readonly<{ envelopeFrom: string; recipients: readonly string[]; raw: Buffer }>;

/**
 * A recipient the relay refused, with its reply. `mailbox`: the reply blames the address itself
 * (a mailbox status, or at RCPT TO no enhanced status at all, as in `550 No such user`); only
 * such a refusal suppresses the address. A relay refusing at RCPT TO for reasons of its own
 * (`554 5.7.1 Relay access denied`, a client or sender check) refuses it without blaming it.
 */
export type Refusal = Readonly<{ recipient: string; reply: string; mailbox: boolean }>;

/**
 * Recipients the relay refused themselves: for good (5xx at RCPT TO, or at DATA a mailbox status
 * 5.1.x / 5.2.1 for the one recipient) or for now (4xx at RCPT TO). Only these are the
 * recipients' doing: a refusal of the sender or of the content is the operator's to fix.
 */
export type Refused = Readonly<{ permanently: readonly Refusal[]; temporarily: readonly Refusal[] }>;

export const NONE_REFUSED: Refused = Object.freeze({ permanently: [], temporarily: [] });

/** `a@x.test (550 5.1.1 no such user), ...`: for the email's history. */
export const describeRefusals = (refusals: readonly Refusal[]): string => refusals.map((r) => `${r.recipient} (${r.reply})`).join(', ');

export type TransportResult =
  /** Taken for the recipients not in `refused`. */
  | Readonly<{ ok: true; response: string; refused: Refused }>
  /**
   * `permanent`: the relay's answer is final (5xx); otherwise try again later.
   * `refusal: 'tls_unavailable'`: TLS was required and the relay refused STARTTLS (permanent when
   * with 5xx, as when it has none) or the handshake failed (for now), so nothing was sent. It says
   * nothing of the recipients: `refused` is empty and the email fails, never bounces.
   */
  | Readonly<{ ok: false; permanent: boolean; error: string; refusal?: 'tls_unavailable'; refused: Refused }>;

export type SendOptions = Readonly<{
  /** The sending domain's `tls` is `enforced`: send only over TLS, never in plain text. */
  requireTls?: boolean;
}>;

export type Transport = Readonly<{
  kind: 'relay' | 'capture';
  /** For the start-up banner and the log: never a password. */
  describe: string;
  send(message: OutgoingMessage, options?: SendOptions): Promise<TransportResult>;
  close(): Promise<void>;
}>;

export const captureTransport: Transport = Object.freeze({
  kind: 'capture',
  describe: 'capture (mail is stored and viewable, never sent out)',
  // Captured mail never leaves this server: there is no connection to require TLS of.
  send: async (): Promise<TransportResult> => ({ ok: true, response: 'captured', refused: NONE_REFUSED }),
  close: async () => undefined,
});

/** The relay URL without its credentials: `smtps://relay.example.com:465`. */
export function describeRelay(url: string): string {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || (secure ? 465 : 587)}`;
}

type SmtpError = Error & { responseCode?: number; code?: string; response?: string; command?: string; rejectedErrors?: RecipientError[] };
/** nodemailer's error for one recipient refused at RCPT TO. */
type RecipientError = Error & { recipient?: string; responseCode?: number; response?: string };

export type RelayOptions = Readonly<{
  /** SMTP connections to the relay at most (POSTGATE_RELAY_MAX_CONNECTIONS), per pool. */
  maxConnections: number;
  /** TLS settings of the connection (node:tls), such as a private CA's `ca`; tests trust their relay's certificate with it. */
  tls?: ConnectionOptions;
}>;

export function relayTransport(url: string, logger: Logger, options: RelayOptions): Transport {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const settings = {
    pool: true,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
    maxConnections: options.maxConnections,
    // Bounded so one attempt always ends well inside the delivery lease.
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
    tls: options.tls,
  } as const;
  const pool = (requireTLS: boolean): ReturnType<typeof nodemailer.createTransport> => {
    const transporter = nodemailer.createTransport({ ...settings, requireTLS });
    transporter.on('error', (error: Error) => logger.warn({ err: error }, 'SMTP relay pool error'));
    return transporter;
  };
  const opportunistic = pool(false);
  // Security: enforced TLS needs connections that never fall back to plain text, so it gets a
  // pool of its own (nodemailer's requireTLS: STARTTLS or nothing); connections of the
  // opportunistic pool may be plain. Made on first use: most installs never enforce TLS.
  let enforced: ReturnType<typeof pool> | undefined;
  const transporterFor = (requireTls: boolean): ReturnType<typeof pool> => {
    // smtps:// is TLS from the first byte: every connection already satisfies the requirement.
    if (!requireTls || secure) return opportunistic;
    enforced ??= pool(true);
    return enforced;
  };
  return Object.freeze({
    kind: 'relay',
    describe: `relay ${describeRelay(url)}`,
    send: async (message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<TransportResult> => {
      const requireTls = sendOptions.requireTls === true;
      try {
        const info = await transporterFor(requireTls).sendMail({
          envelope: { from: message.envelopeFrom, to: [...message.recipients] },
          raw: message.raw,
        });
        return { ok: true, response: String(info.response ?? ''), refused: refusedAtRcpt((info as { rejectedErrors?: RecipientError[] }).rejectedErrors) };
      } catch (error) {
        return classify(error as SmtpError, requireTls, message.recipients);
      }
    },
    close: async () => {
      opportunistic.close();
      enforced?.close();
    },
  });
}

/**
 * 5xx is permanent (a bounce); 4xx and network faults are temporary. A refused relay login is
 * temporary too even when 5xx: it is the operator's configuration, not the recipient, that is wrong.
 * With TLS required, a failed STARTTLS (refused, not offered, or a bad handshake) is a refusal of
 * its own, whatever the code: the relay's answer to STARTTLS is no verdict on the recipient.
 */
function classify(error: SmtpError, requireTls: boolean, recipients: readonly string[]): TransportResult {
  const code = error.responseCode;
  const said = error.response ?? error.message;
  const final = typeof code === 'number' && code >= 500 && code < 600;
  if (requireTls && isTlsFailure(error)) {
    // 454 (RFC 3207: TLS not available for a temporary reason) or a broken handshake: retried.
    return { ok: false, permanent: final, refusal: 'tls_unavailable', refused: NONE_REFUSED, error: `TLS required (the domain enforces TLS) but not available from the relay: ${said}`.slice(0, 1000) };
  }
  const permanent = final && error.code !== 'EAUTH';
  return { ok: false, permanent, refused: refusedBy(error, permanent, said, recipients), error: `${error.code ?? 'ERROR'}: ${said}`.slice(0, 1000) };
}

/**
 * A mailbox status (RFC 3463): 5.1.x names the address, 5.2.1 a disabled mailbox; not 5.1.7 and
 * 5.1.8, which are about the sender's address.
 */
const MAILBOX_REFUSED = /\b5\.(?:1\.(?!7\b|8\b)\d{1,3}|2\.1)\b/;
/** An enhanced status code of any class (RFC 3463). */
const ENHANCED_STATUS = /\b[245]\.\d{1,3}\.\d{1,3}\b/;

/** The recipients a failed send refused themselves (see Refused). */
function refusedBy(error: SmtpError, permanent: boolean, said: string, recipients: readonly string[]): Refused {
  // Every recipient refused at RCPT TO, each with its own reply.
  if (error.command === 'RCPT TO') return refusedAtRcpt(error.rejectedErrors);
  // A relay that checks mailboxes only after the message: which one it means is known only when there is one.
  if (error.command === 'DATA' && permanent && recipients.length === 1 && MAILBOX_REFUSED.test(said)) {
    return { permanently: [{ recipient: recipients[0]!, reply: said, mailbox: true }], temporarily: [] };
  }
  return NONE_REFUSED;
}

/** nodemailer's per-recipient errors of RCPT TO, split by their reply's class. */
function refusedAtRcpt(errors: readonly RecipientError[] | undefined): Refused {
  const refusals = (errors ?? []).filter((e) => e.recipient !== undefined);
  const of = (list: RecipientError[]): Refusal[] =>
    list.map((e) => {
      const reply = e.response ?? e.message;
      return { recipient: e.recipient!, reply, mailbox: !ENHANCED_STATUS.test(reply) || MAILBOX_REFUSED.test(reply) };
    });
  return {
    permanently: of(refusals.filter((e) => (e.responseCode ?? 0) >= 500)),
    // Without a code (a dropped line) it is not known to be final: tried again, never suppressed.
    temporarily: of(refusals.filter((e) => (e.responseCode ?? 0) < 500)),
  };
}

/**
 * STARTTLS refused or failed; or EHLO refused (HELO has no STARTTLS). A 421 to EHLO is the relay
 * going away, the temporary failure it always is.
 */
function isTlsFailure(error: SmtpError): boolean {
  return error.code === 'ETLS' || (error.code === 'ECONNECTION' && error.command === 'EHLO' && error.responseCode !== 421);
}
