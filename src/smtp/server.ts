import type { AddressInfo } from 'node:net';
import { AppError } from '../lib/errors.js';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Deps } from '../app/deps.js';
import { clientAddress } from '../lib/client-address.js';
import type { Principal } from '../modules/api-keys/principal.js';
import type { RawSubmission } from '../modules/emails/raw-submission.js';
import { ConnectionGuard } from './connection-guard.js';
import { readMessage } from './message.js';
import { BAD_CREDENTIALS, protocolError, smtpError, toSmtpError, type SmtpError } from './replies.js';
import type { TlsMaterial } from './tls.js';

// The SMTP submission edge: AUTH -> Principal (the same verification as HTTP), envelope checks,
// DATA -> the emails service. It never touches the database itself.

export type SmtpServices = {
  /** Accepts a message durably (the same email object as over HTTP); throws AppError on denial. */
  submit(principal: Principal, message: RawSubmission): Promise<{ id: string }>;
  /** Refuses an envelope sender the key may not use (domain rules); throws AppError. */
  checkSender(principal: Principal, address: string): Promise<void>;
};

export type SmtpOptions = {
  tls: TlsMaterial;
  maxMessageBytes?: number;
  maxRecipients?: number;
  socketTimeoutMs?: number;
};

export type RunningSmtp = { smtpPort: number | undefined; smtpsPort: number | undefined; close(): Promise<void> };

const USERNAME = 'postgate';
const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;

type Session = SMTPServerSession & { principal?: Principal };

export async function startSmtp(deps: Deps, services: SmtpServices, options: SmtpOptions): Promise<RunningSmtp> {
  const { config } = deps;
  const connections = new ConnectionGuard({
    limiter: deps.limits.concurrency,
    perClient: config.smtpConnectionsPerClient,
    authTimeoutMs: config.smtpAuthTimeoutMs,
  });
  // Tokens of authenticated sessions: the key is authenticated again at each MAIL FROM, so a
  // revocation, an edit or the plan's rate apply within an open session.
  const tokens = new Map<string, string>();
  const maxRecipients = options.maxRecipients ?? 50;

  /** The one authentication path (modules/api-keys/authenticate.ts), its denial as an SMTP reply. */
  const authenticate = async (session: SMTPServerSession, credential: string): Promise<Principal> => {
    const outcome = await deps.authenticator.authenticate({ credential, client: clientAddress(session.remoteAddress), need: 'emails:send' });
    if (outcome.ok) return outcome.principal;
    // One reply for a wrong key and a wrong username, so the two cannot be told apart.
    throw smtpError(outcome.code, outcome.code === 'invalid_api_key' ? BAD_CREDENTIALS : outcome.message);
  };

  /** The reply to a failure. A fault of ours, not a refusal, is logged: the client sees only 451. */
  const replyFor = (error: unknown): SmtpError => {
    const unexpected = !(error instanceof AppError) && typeof (error as Partial<SmtpError> | null)?.responseCode !== 'number';
    if (unexpected) deps.logger.error({ err: error }, 'smtp: unexpected fault');
    return toSmtpError(error);
  };

  /** A message submitted with the session's key counts as a use of it, as an HTTP request does. */
  const recordUse = (session: Session, status: number): void => {
    if (!session.principal) return;
    deps.authenticator.recordUse({ keyId: session.principal.keyId, method: 'SMTP', url: 'DATA', status, ip: clientAddress(session.remoteAddress).text });
  };

  const handlers: Partial<SMTPServerOptions> = {
    onConnect(session, callback) {
      connections.admit(session).then(
        () => callback(),
        (error: unknown) => callback(replyFor(error)),
      );
    },

    onAuth(auth, session, callback) {
      // A wrong username is a failed authentication like a wrong key ('' never verifies).
      const credential = auth.username === USERNAME ? (auth.password ?? '') : '';
      authenticate(session, credential).then(
        (principal) => {
          tokens.set(session.id, credential);
          connections.authenticated(session);
          callback(null, { user: principal.keyId });
        },
        (error: unknown) => callback(replyFor(error)),
      );
    },

    onMailFrom(address, session: Session, callback) {
      void (async () => {
        const principal = await authenticate(session, tokens.get(session.id) ?? '');
        await services.checkSender(principal, address.address);
        session.principal = principal;
      })().then(
        () => callback(),
        (error: unknown) => callback(replyFor(error)),
      );
    },

    onRcptTo(_address, session, callback) {
      if (session.envelope.rcptTo.length >= maxRecipients) {
        return callback(protocolError(452, '4.5.3', `Too many recipients (at most ${maxRecipients})`));
      }
      callback();
    },

    onData(stream, session: Session, callback) {
      void readMessage(stream)
        .then(async (message) => {
          if (message.tooLarge) throw smtpError('payload_too_large', 'Message exceeds the advertised SIZE');
          // Security: bare CR/LF would let a message smuggle another past a lenient relay.
          if (message.bareLineEnding) throw protocolError(554, '5.6.0', 'Bare CR or LF line endings are not accepted');
          const principal = session.principal;
          const from = session.envelope.mailFrom;
          if (!principal || !from) throw smtpError('bad_request', 'No sender');
          const accepted = await services.submit(principal, {
            mailFrom: from.address,
            recipients: session.envelope.rcptTo.map((r) => r.address),
            raw: message.raw,
          });
          return `Queued as ${accepted.id}`;
        })
        .then(
          (reply) => {
            recordUse(session, 250);
            callback(null, reply);
          },
          (error: unknown) => {
            const reply = replyFor(error);
            recordUse(session, reply.responseCode);
            callback(reply);
          },
        );
    },

    onClose(session) {
      tokens.delete(session.id);
      connections.closed(session);
    },
  };

  const common: SMTPServerOptions = {
    name: 'postgate',
    banner: 'Postgate ESMTP submission',
    key: options.tls.key,
    cert: options.tls.cert,
    minVersion: 'TLSv1.2',
    authMethods: ['PLAIN', 'LOGIN'],
    // Security: AUTH only inside TLS (538 before STARTTLS); MAIL only after AUTH (530).
    allowInsecureAuth: false,
    authOptional: false,
    size: options.maxMessageBytes ?? 10 * 1024 * 1024,
    disableReverseLookup: true,
    maxClients: 1000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    closeTimeout: 10_000,
    logger: false,
    ...handlers,
  };

  const servers: SMTPServer[] = [];
  const listen = async (server: SMTPServer, port: number): Promise<number> => {
    servers.push(server);
    patchConnections(server);
    connections.watch(server.server);
    server.on('error', (err) => deps.logger.warn({ err }, 'smtp: connection error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, config.host, () => resolve());
    });
    return (server.server.address() as AddressInfo).port;
  };

  const ports = {
    smtpPort: config.smtpPort > 0 ? await listen(new SMTPServer({ ...common, secure: false }), config.smtpPort) : undefined,
    smtpsPort: config.smtpsPort > 0 ? await listen(new SMTPServer({ ...common, secure: true }), config.smtpsPort) : undefined,
  };
  return {
    ...ports,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

type PatchableConnection = {
  secure: boolean;
  send(code: number, data?: string | string[], context?: unknown): void;
};

/**
 * Two adjustments smtp-server has no option for, applied to each connection's `send`:
 * - AUTH is not advertised in EHLO before TLS (security: no credentials over plaintext, and
 *   clients are not invited to try);
 * - a reply whose message already starts with an enhanced status code (ours, from SMTP_REPLY)
 *   is sent as it is, instead of with the library's default code for the reply number.
 */
function patchConnections(server: SMTPServer): void {
  // `connections` is internal to smtp-server; every accepted connection passes through add().
  const connections = (server as unknown as { connections: Set<PatchableConnection> }).connections;
  const add = connections.add.bind(connections);
  connections.add = (connection: PatchableConnection) => {
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) => {
      if (typeof data === 'string' && ENHANCED.test(data)) return send(code, data, false);
      if (!connection.secure && code === 250 && Array.isArray(data)) {
        return send(code, data.filter((line) => !/^AUTH\b/i.test(line)), context);
      }
      return send(code, data, context);
    };
    return add(connection);
  };
}
