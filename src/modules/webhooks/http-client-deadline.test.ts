import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowCidrs } from './address-policy.js';
import { createWebhookHttpClient } from './http-client.js';

// The attempt's deadline covers resolving the name too: undici heeds an abort only once
// connected, so without the client's own race a resolver that never answers would hold the
// delivery's slot for the resolver's timeouts (its tries one after the other), not the deadline.

describe('webhook http client deadline', () => {
  const silent = createSocket('udp4');
  beforeAll(() => new Promise<void>((bound) => silent.bind(0, '127.0.0.1', () => bound())));
  afterAll(() => new Promise<void>((closed) => silent.close(() => closed())));

  it('ends an attempt whose name is still being resolved at the deadline, as "timeout"', async () => {
    const { port } = silent.address() as AddressInfo;
    // The resolver would try twice, 600 ms each, before giving up with its own error.
    const http = createWebhookHttpClient({
      policy: { allowHttp: true, allowCidrs: parseAllowCidrs('127.0.0.1/32') },
      dnsServers: [`127.0.0.1:${port}`],
      timeoutMs: 600,
    });
    try {
      const started = Date.now();
      const response = await http.post({ url: 'http://hooks.deadline.test/h', headers: {}, body: '{}' });
      expect(response).toMatchObject({ status: undefined, error: 'timeout' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await http.close();
    }
  });
});
