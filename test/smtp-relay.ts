import { SMTPServer, type SMTPServerSession } from 'smtp-server';

// A real SMTP server on 127.0.0.1 standing in for the upstream relay (SMTP_RELAY_URL): it keeps
// every message it accepts, and can be told to answer with a temporary or permanent failure.

export type RelayedMessage = Readonly<{ from: string; to: string[]; raw: Buffer; messageId: string | undefined; user: string | undefined }>;

export type Reply = { code: number; message: string } | undefined;

export type TestRelay = {
  port: number;
  /** `smtp://user:pass@127.0.0.1:PORT` */
  url: string;
  messages: RelayedMessage[];
  /** Decides the answer to each DATA (or when to give it); undefined accepts. */
  respond: (message: RelayedMessage) => Reply | Promise<Reply>;
  /** Decides the answer to MAIL FROM; undefined accepts. */
  mailFrom: (address: string) => Reply;
  /** Decides the answer to each RCPT TO; undefined accepts. */
  rcpt: (address: string) => Reply;
  /** Every RCPT TO address the relay was given, accepted or not. */
  rcptSeen: string[];
  /** Message-IDs received more than once. */
  duplicates(): string[];
  close(): Promise<void>;
};

export const RELAY_USER = 'relay-user';
export const RELAY_PASS = 'relay-pass';

export async function startRelay(port = 0): Promise<TestRelay> {
  const relay: Omit<TestRelay, 'port' | 'url' | 'close'> & { respond: TestRelay['respond'] } = {
    messages: [],
    respond: () => undefined,
    mailFrom: () => undefined,
    rcpt: () => undefined,
    rcptSeen: [],
    duplicates: () => {
      const seen = new Map<string, number>();
      for (const m of relay.messages) if (m.messageId) seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    },
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      // `relay-user` or `relay-user-<name>`: instances sharing the relay may log in as themselves.
      const known = auth.username === RELAY_USER || Boolean(auth.username?.startsWith(`${RELAY_USER}-`));
      if (known && auth.password === RELAY_PASS) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onMailFrom(address, _session, callback) {
      callback(refusal(relay.mailFrom(address.address)));
    },
    onRcptTo(address, _session, callback) {
      relay.rcptSeen.push(address.address);
      callback(refusal(relay.rcpt(address.address)));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const header = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
        const messageId = /^message-id:\s*(.+)$/im.exec(header)?.[1]?.trim();
        const message: RelayedMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId,
          user: typeof session.user === 'string' ? session.user : undefined,
        };
        void Promise.resolve(relay.respond(message)).then((reply) => {
          if (reply) return callback(refusal(reply));
          relay.messages.push(message);
          callback(null, 'OK: queued');
        });
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return Object.assign(relay, {
    port: bound,
    url: `smtp://${RELAY_USER}:${RELAY_PASS}@127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as TestRelay;
}

/** smtp-server's form of a refusal: an error with its reply code; none accepts. */
function refusal(reply: Reply): (Error & { responseCode: number }) | undefined {
  if (!reply) return undefined;
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}
