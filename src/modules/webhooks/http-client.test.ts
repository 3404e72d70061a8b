import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { start as startDns, type TestDnsServer } from '../../../test/dns-server.js';
import { parseAllowCidrs, type WebhookNetworkPolicy } from './address-policy.js';
import { createWebhookHttpClient, parseRetryAfter, type WebhookHttpClient, type WebhookHttpClientOptions } from './http-client.js';

// SECURITY.md "Webhooks", end to end. Every target here is a loopback address: if the guard were
// broken, a test would reach this machine and nothing else. The receiving servers count their
// TCP connections, so "refused" means no connection at all, not merely no request.

type Received = { method: string | undefined; url: string | undefined; headers: IncomingHttpHeaders; body: string };
type Handler = (request: IncomingMessage, response: ServerResponse) => void;
type TestServer = { origin: string; received: Received[]; connections: () => number; close(): Promise<void> };

async function serve(host: '127.0.0.1' | '::1', handler: Handler): Promise<TestServer> {
  const received: Received[] = [];
  let connections = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString() });
      handler(request, response);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function ipv6LoopbackWorks(): Promise<boolean> {
  try {
    await (await serve('::1', (_, response) => response.end())).close();
    return true;
  } catch {
    return false;
  }
}

const hasIpv6 = await ipv6LoopbackWorks();

const LOOPBACK_V4: WebhookNetworkPolicy = { allowHttp: true, allowCidrs: parseAllowCidrs('127.0.0.1/32') };
const PUBLIC_ONLY: WebhookNetworkPolicy = { allowHttp: true, allowCidrs: [] };

/** Writes `total` bytes only as fast as the other side reads them (more than socket buffers hold). */
async function writeSlowly(response: ServerResponse, total: number): Promise<void> {
  const chunk = Buffer.alloc(65_536, 'x');
  for (let sent = 0; sent < total && !response.destroyed; sent += chunk.length) {
    if (response.write(chunk)) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        response.off('drain', done).off('close', done);
        resolve();
      };
      response.on('drain', done).on('close', done);
    });
  }
  response.end();
}

const reply = (status: number, body = '', headers: Record<string, string> = {}): Handler => (_, response) => {
  response.writeHead(status, headers);
  response.end(body);
};

let dns: TestDnsServer;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dns = await startDns();
});
afterAll(async () => {
  await dns.close();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((resource) => resource.close()));
  dns.clear();
});

async function server(handler: Handler, host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<TestServer> {
  const started = await serve(host, handler);
  opened.push(started);
  return started;
}

function client(options: Partial<WebhookHttpClientOptions> = {}): WebhookHttpClient {
  const created = createWebhookHttpClient({ policy: LOOPBACK_V4, dnsServers: [dns.address], ...options });
  opened.push(created);
  return created;
}

const post = (http: WebhookHttpClient, url: string): ReturnType<WebhookHttpClient['post']> =>
  http.post({ url, headers: {}, body: '{}' });

describe('webhook http client', () => {
  it('delivers a POST with body and headers to an allowed endpoint and returns its answer', async () => {
    const target = await server(reply(202, 'accepted, thanks'));
    const response = await client().post({
      url: `${target.origin}/hooks/in?source=postgate#fragment`,
      headers: { 'webhook-id': 'msg_1', 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"type":"email.sent"}',
    });
    expect(response).toMatchObject({ status: 202, responseExcerpt: 'accepted, thanks', error: undefined, retryAfterSeconds: undefined });
    expect(response.durationMs).toBeGreaterThanOrEqual(0);
    expect(target.received).toHaveLength(1);
    const [request] = target.received;
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/in?source=postgate', body: '{"type":"email.sent"}' });
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Postgate-Webhooks/1.0',
      'webhook-id': 'msg_1',
      'content-length': '21',
    });
  });

  it('dials a name through the configured DNS server when its addresses are allowed', async () => {
    const target = await server(reply(200, 'ok'));
    dns.setAddresses('hooks.postgate.test', ['127.0.0.1']);
    const response = await post(client(), target.origin.replace('127.0.0.1', 'hooks.postgate.test'));
    expect(response).toMatchObject({ status: 200, responseExcerpt: 'ok', error: undefined });
    expect(target.received[0]?.headers.host).toMatch(/^hooks\.postgate\.test:\d+$/);
  });

  it.skipIf(!hasIpv6)('reaches ::1 when ::1/128 is allowed', async () => {
    const target = await server(reply(204), '::1');
    const response = await post(client({ policy: { allowHttp: true, allowCidrs: parseAllowCidrs('::1/128') } }), target.origin);
    expect(response).toMatchObject({ status: 204, error: undefined });
  });

  it('speaks TLS to the name, not the dialled address, and verifies the certificate', async () => {
    const { default: selfsigned } = await import('selfsigned');
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    const names: string[] = [];
    const tlsServer = createHttpsServer(
      {
        key: pems.private,
        cert: pems.cert,
        SNICallback: (name, done) => {
          names.push(name);
          done(null, undefined);
        },
      },
      reply(200, 'over tls'),
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', () => resolve()));
    opened.push({ close: () => new Promise<void>((resolve) => tlsServer.close(() => resolve())) });
    dns.setAddresses('tls.postgate.test', ['127.0.0.1']);
    const { port } = tlsServer.address() as AddressInfo;
    const response = await post(client({ policy: { ...LOOPBACK_V4, allowHttp: false } }), `https://tls.postgate.test:${port}/`);
    expect(names).toEqual(['tls.postgate.test']);
    // A self-signed certificate is refused: verification is on, and checks the URL's name.
    expect(response).toMatchObject({ status: undefined, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  describe('refuses non-public addresses at connect time: the server sees no connection', () => {
    it('127.0.0.1 and its IPv4-mapped form', async () => {
      const target = await server(reply(200));
      const port = new URL(target.origin).port;
      const http = client({ policy: PUBLIC_ONLY });
      for (const url of [`http://127.0.0.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://2130706433:${port}/`]) {
        const response = await post(http, url);
        expect(response, url).toMatchObject({ status: undefined, error: 'address_not_allowed: 127.0.0.1' });
      }
      expect(target.connections()).toBe(0);
    });

    it.skipIf(!hasIpv6)('::1', async () => {
      const target = await server(reply(200), '::1');
      const response = await post(client({ policy: PUBLIC_ONLY }), `${target.origin}/`);
      expect(response).toMatchObject({ status: undefined, error: 'address_not_allowed: ::1' });
      expect(target.connections()).toBe(0);
    });

    it('a name that resolves to 127.0.0.1 (DNS rebinding: the create-time check passed it)', async () => {
      const target = await server(reply(200));
      dns.setAddresses('rebind.postgate.test', ['127.0.0.1']);
      const response = await post(client({ policy: PUBLIC_ONLY }), target.origin.replace('127.0.0.1', 'rebind.postgate.test'));
      expect(response).toMatchObject({ status: undefined, error: 'address_not_allowed: rebind.postgate.test resolves to an address that is not public' });
      expect(target.connections()).toBe(0);
    });

    it('a name with one allowed and one refused address: every address must pass', async () => {
      const target = await server(reply(200));
      dns.setAddresses('mixed.postgate.test', ['127.0.0.1', '127.0.0.2']);
      const response = await post(client(), target.origin.replace('127.0.0.1', 'mixed.postgate.test'));
      expect(response).toMatchObject({ status: undefined, error: 'address_not_allowed: mixed.postgate.test resolves to an address that is not public' });
      expect(target.connections()).toBe(0);
    });

    it('http when only https is allowed', async () => {
      const target = await server(reply(200));
      const response = await post(client({ policy: { allowHttp: false, allowCidrs: LOOPBACK_V4.allowCidrs } }), target.origin);
      expect(response).toMatchObject({ status: undefined, error: 'invalid_url: must be an https URL' });
      expect(target.connections()).toBe(0);
    });
  });

  it('does not follow redirects: the 3xx is the answer, to an allowed or a refused address', async () => {
    const allowed = await server(reply(200, 'allowed'));
    const refused = hasIpv6 ? await server(reply(200, 'refused'), '::1') : undefined;
    for (const second of [allowed, refused]) {
      if (!second) continue;
      const first = await server(reply(302, 'moved', { location: `${second.origin}/next` }));
      const response = await post(client(), `${first.origin}/`);
      expect(response).toMatchObject({ status: 302, responseExcerpt: 'moved', error: undefined });
      expect(first.received).toHaveLength(1);
      expect(second.connections()).toBe(0);
    }
  });

  it('gives up with "timeout" when the server never answers', async () => {
    const target = await server(() => undefined);
    const response = await post(client({ timeoutMs: 300 }), target.origin);
    expect(response).toMatchObject({ status: undefined, error: 'timeout' });
    expect(response.durationMs).toBeGreaterThanOrEqual(250);
    expect(response.durationMs).toBeLessThan(2_000);
  });

  it('the timeout covers the body: headers then silence keep the status and report "timeout"', async () => {
    const target = await server((_, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
    });
    const response = await post(client({ timeoutMs: 300 }), target.origin);
    expect(response).toMatchObject({ status: 200, error: 'timeout' });
    expect(response.durationMs).toBeLessThan(2_000);
  });

  it('reads at most maxResponseBytes and stops downloading', async () => {
    let closed: Promise<boolean> | undefined;
    const target = await server((_, response) => {
      closed = new Promise((resolve) => response.on('close', () => resolve(response.writableFinished)));
      response.writeHead(200);
      void writeSlowly(response, 64 * 1024 * 1024);
    });
    const response = await post(client(), target.origin);
    expect(response).toMatchObject({ status: 200, error: undefined });
    expect(response.responseExcerpt).toBe('x'.repeat(65_536));
    // The client hung up long before the 64 MiB were written: they were never downloaded.
    expect(await closed).toBe(false);
  });

  it('truncates a 1 MB body to the configured cap without cutting a character in half', async () => {
    const target = await server(reply(500, 'é'.repeat(512 * 1024)));
    const response = await post(client({ maxResponseBytes: 1_001 }), target.origin);
    expect(response).toMatchObject({ status: 500, error: undefined });
    expect(response.responseExcerpt).toBe('é'.repeat(500));
  });

  it('reports Retry-After in seconds, from delay-seconds or an HTTP-date', async () => {
    const inSeconds = await server(reply(503, '', { 'retry-after': '120' }));
    const asDate = await server(reply(429, '', { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }));
    const http = client();
    expect((await post(http, inSeconds.origin)).retryAfterSeconds).toBe(120);
    const fromDate = (await post(http, asDate.origin)).retryAfterSeconds;
    expect(fromDate).toBeGreaterThanOrEqual(58);
    expect(fromDate).toBeLessThanOrEqual(60);
  });

  it('turns network failures into errors, never exceptions', async () => {
    const closedPort = await serve('127.0.0.1', reply(200));
    await closedPort.close();
    const http = client();
    expect(await post(http, closedPort.origin)).toMatchObject({ status: undefined, error: 'connect ECONNREFUSED' });
    expect(await post(http, 'http://missing.postgate.test/')).toMatchObject({ status: undefined, error: 'dns ENOTFOUND' });
    expect(await post(http, 'http://user:pw@127.0.0.1/')).toMatchObject({ error: 'invalid_url: must not contain a username or password' });
    expect(await post(http, 'not a url')).toMatchObject({ error: 'invalid_url: must be an absolute URL' });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay-seconds within 0..86400', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30);
    expect(parseRetryAfter('86400', now)).toBe(86_400);
    expect(parseRetryAfter('86401', now)).toBeUndefined();
    expect(parseRetryAfter('99999999999999', now)).toBeUndefined();
  });

  it('reads the three HTTP-date forms, a past date meaning now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('Wed Jan  1 00:01:00 2025', now)).toBeGreaterThanOrEqual(0);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Fri, 03 Jan 2025 00:00:00 GMT', now)).toBeUndefined();
  });

  it('ignores anything else', () => {
    for (const value of ['-1', '1.5', '1e3', '', 'soon', 'Wed, garbage', '0x10']) expect(parseRetryAfter(value, now), value).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(['10', '20'], now)).toBeUndefined();
  });
});
