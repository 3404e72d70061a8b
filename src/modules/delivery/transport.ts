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

export type TransportResult =
  | Readonly<{ ok: true; response: string; rejected: readonly string[] }>
  /**
   * `permanent`: the relay answered 5xx (the message will not be taken); otherwise try again later.
   * `refusal: 'tls_unavailable'`: TLS was required and the relay offered none (or the handshake
   * failed), so nothing was sent. Not `permanent`: it says nothing of the recipient (a bounce
   * would suppress them); the delivery step makes it a hard failure (`failed`).
   */
  /**
   * `recipientRefused`: a permanent refusal of the recipients themselves (5xx at RCPT, or an
   * enhanced status 5.1.x / 5.2.1 naming the mailbox), the only refusal that suppresses them: a
   * refusal of the sender or the content is the operator's to fix, not the recipients' fault.
   */
  | Readonly<{ ok: false; permanent: boolean; error: string; refusal?: 'tls_unavailable'; recipientRefused?: boolean }>;

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
  send: async (): Promise<TransportResult> => ({ ok: true, response: 'captured', rejected: [] }),
  close: async () => undefined,
});

/** The relay URL without its credentials: `smtps://relay.example.com:465`. */
export function describeRelay(url: string): string {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || (secure ? 465 : 587)}`;
}

type SmtpError = Error & { responseCode?: number; code?: string; response?: string; command?: string };

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
        return { ok: true, response: String(info.response ?? ''), rejected: (info.rejected ?? []).map(String) };
      } catch (error) {
        return classify(error as SmtpError, requireTls);
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
function classify(error: SmtpError, requireTls: boolean): TransportResult {
  if (requireTls && isTlsFailure(error)) {
    const said = error.response ?? error.message;
    return { ok: false, permanent: false, refusal: 'tls_unavailable', error: `TLS required (the domain enforces TLS) but not available from the relay: ${said}`.slice(0, 1000) };
  }
  const code = error.responseCode;
  const permanent = typeof code === 'number' && code >= 500 && code < 600 && error.code !== 'EAUTH';
  const said = error.response ?? error.message;
  const recipientRefused = permanent && (error.code === 'EENVELOPE' || /\b5\.(1\.\d{1,3}|2\.1)\b/.test(said));
  return { ok: false, permanent, recipientRefused, error: `${error.code ?? 'ERROR'}: ${said}`.slice(0, 1000) };
}

/**
 * STARTTLS refused or failed; or EHLO refused (HELO has no STARTTLS). A 421 to EHLO is the relay
 * going away, the temporary failure it always is.
 */
function isTlsFailure(error: SmtpError): boolean {
  return error.code === 'ETLS' || (error.code === 'ECONNECTION' && error.command === 'EHLO' && error.responseCode !== 421);
}
