import { createServer, type Server } from 'node:net';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../../test/smtp-relay.js';
import { relayTransport, type OutgoingMessage, type Transport } from './transport.js';

// Enforced TLS (a domain's `tls: enforced`) against real SMTP servers on 127.0.0.1: the test
// relay, which offers no STARTTLS, and a server of this file that does (self-signed certificate).

const logger = pino({ level: 'silent' });

const message = (subject: string): OutgoingMessage => ({
  envelopeFrom: 'sender@tls.example',
  recipients: ['rcpt@example.org'],
  raw: Buffer.from(`From: sender@tls.example\r\nTo: rcpt@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@tls.example>\r\n\r\nbody\r\n`),
});

describe('relay transport without STARTTLS', () => {
  let relay: TestRelay;
  let transport: Transport;
  beforeAll(async () => {
    relay = await startRelay();
    transport = relayTransport(relay.url, logger, { maxConnections: 2 });
  });
  afterAll(async () => {
    await transport?.close();
    await relay?.close();
  });

  it('refuses a send that requires TLS, as tls_unavailable (final: STARTTLS refused with 5xx) refusing no recipient, and sends nothing', async () => {
    const result = await transport.send(message('enforced'), { requireTls: true });
    expect(result).toMatchObject({ ok: false, permanent: true, refusal: 'tls_unavailable', refused: { permanently: [], temporarily: [] } });
    expect(result.ok || result.error).toMatch(/^TLS required/);
    expect(relay.messages).toHaveLength(0);
  });

  it('still sends opportunistic mail in plain text through the same transport', async () => {
    const result = await transport.send(message('opportunistic'));
    expect(result).toMatchObject({ ok: true });
    expect(relay.messages.map((m) => m.messageId)).toEqual(['<opportunistic@tls.example>']);
    // A refusal of one enforced send does not poison the plain pool, nor the reverse.
    expect(await transport.send(message('enforced-again'), { requireTls: true })).toMatchObject({ ok: false, refusal: 'tls_unavailable' });
  });
});

describe('relay transport with STARTTLS', () => {
  let server: SMTPServer;
  let port: number;
  const received: { subject: string; secure: boolean }[] = [];
  let transport: Transport;

  beforeAll(async () => {
    const { default: selfsigned } = await import('selfsigned');
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    server = new SMTPServer({
      key: pems.private,
      cert: pems.cert,
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const subject = /^Subject: (.*)$/m.exec(Buffer.concat(chunks).toString('latin1'))?.[1]?.trim() ?? '';
          received.push({ subject, secure: session.secure });
          callback(null, 'OK');
        });
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    // The test's own self-signed certificate: trusted here, never in production code.
    transport = relayTransport(`smtp://127.0.0.1:${port}`, logger, { maxConnections: 1, tls: { rejectUnauthorized: false } });
  });
  afterAll(async () => {
    await transport?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('sends enforced mail over STARTTLS', async () => {
    expect(await transport.send(message('over-tls'), { requireTls: true })).toMatchObject({ ok: true });
    expect(received).toContainEqual({ subject: 'over-tls', secure: true });
  });
});

describe('relay transport whose STARTTLS is down for now', () => {
  let server: Server;
  let transport: Transport;
  beforeAll(async () => {
    // A relay offering STARTTLS that answers it 454 (RFC 3207: TLS not available for a temporary reason).
    server = createServer((socket) => {
      socket.write('220 relay.test ESMTP\r\n');
      socket.on('data', (data: Buffer) => {
        const command = data.toString('latin1').trim().split(' ')[0]!.toUpperCase();
        if (command === 'EHLO') socket.write('250-relay.test\r\n250 STARTTLS\r\n');
        else if (command === 'STARTTLS') socket.write('454 4.7.0 TLS not available due to temporary reason\r\n');
        else if (command === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 5.5.1 not implemented\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    transport = relayTransport(`smtp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, logger, { maxConnections: 1 });
  });
  afterAll(async () => {
    await transport?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses a send that requires TLS as tls_unavailable for now: tried again later', async () => {
    expect(await transport.send(message('later'), { requireTls: true })).toMatchObject({ ok: false, permanent: false, refusal: 'tls_unavailable' });
  });
});
