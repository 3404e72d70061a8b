import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { inboundMxHost } from './inbound-host.js';

describe('inboundMxHost', () => {
  it("names POSTGATE_PUBLIC_URL's host, lowercase, without port or path", () => {
    expect(inboundMxHost('https://Mail.Example.com:8443/postgate')).toBe('mail.example.com');
  });

  it("falls back to this machine's name for an address (an MX must name a host) or no URL", () => {
    for (const url of ['http://127.0.0.1:8080', 'http://[::1]:8080', undefined]) {
      expect(inboundMxHost(url), String(url)).toBe(hostname().toLowerCase());
    }
  });
});
