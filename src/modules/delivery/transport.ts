import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

// Where signed mail goes. Transports are thin: they hand bytes over and report what the other
// side said; they never touch the database (the worker records the outcome).
//   relay   - SMTP_RELAY_URL through nodemailer, pooled connections, STARTTLS when offered
//   capture - the default, and always for test-mode keys: nothing leaves; the worker keeps the
//             signed message so it can be read back (GET /emails/{id}/raw).

export type OutgoingMessage = Readonly<{ envelopeFrom: string; recipients: readonly string[]; raw: Buffer }>;

export type TransportResult =
  | Readonly<{ ok: true; response: string; rejected: readonly string[] }>
  /** `permanent`: the relay answered 5xx (the message will not be taken); otherwise try again later. */
  | Readonly<{ ok: false; permanent: boolean; error: string }>;

export type Transport = Readonly<{
  kind: 'relay' | 'capture';
  /** For the start-up banner and the log: never a password. */
  describe: string;
  send(message: OutgoingMessage): Promise<TransportResult>;
  close(): Promise<void>;
}>;

export const captureTransport: Transport = Object.freeze({
  kind: 'capture',
  describe: 'capture (mail is stored and viewable, never sent out)',
  send: async (): Promise<TransportResult> => ({ ok: true, response: 'captured', rejected: [] }),
  close: async () => undefined,
});

/** The relay URL without its credentials: `smtps://relay.example.com:465`. */
export function describeRelay(url: string): string {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || (secure ? 465 : 587)}`;
}

type SmtpError = Error & { responseCode?: number; code?: string; response?: string };

/** `maxConnections`: SMTP connections to the relay at most (POSTGATE_RELAY_MAX_CONNECTIONS). */
export function relayTransport(url: string, logger: Logger, options: { maxConnections: number }): Transport {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const transporter = nodemailer.createTransport({
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
  });
  transporter.on('error', (error: Error) => logger.warn({ err: error }, 'SMTP relay pool error'));
  return Object.freeze({
    kind: 'relay',
    describe: `relay ${describeRelay(url)}`,
    send: async (message: OutgoingMessage): Promise<TransportResult> => {
      try {
        const info = await transporter.sendMail({
          envelope: { from: message.envelopeFrom, to: [...message.recipients] },
          raw: message.raw,
        });
        return { ok: true, response: String(info.response ?? ''), rejected: (info.rejected ?? []).map(String) };
      } catch (error) {
        return classify(error as SmtpError);
      }
    },
    close: async () => {
      transporter.close();
    },
  });
}

/**
 * 5xx is permanent (a bounce); 4xx and network faults are temporary. A refused relay login is
 * temporary too even when 5xx: it is the operator's configuration, not the recipient, that is wrong.
 */
function classify(error: SmtpError): TransportResult {
  const code = error.responseCode;
  const permanent = typeof code === 'number' && code >= 500 && code < 600 && error.code !== 'EAUTH';
  const said = error.response ?? error.message;
  return { ok: false, permanent, error: `${error.code ?? 'ERROR'}: ${said}`.slice(0, 1000) };
}
