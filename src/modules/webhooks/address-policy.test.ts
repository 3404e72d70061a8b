import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isAddressAllowed, parseAllowCidrs, type WebhookNetworkPolicy } from './address-policy.js';

// SECURITY.md "Webhooks": the range check, for every class of address a webhook must not reach.
// Pure functions: nothing here opens a socket.

const STRICT: WebhookNetworkPolicy = { allowHttp: false, allowCidrs: [] };

const REFUSED: Record<string, readonly string[]> = {
  'loopback v4 (127/8)': ['127.0.0.1', '127.255.255.254'],
  'loopback v6': ['::1', '0:0:0:0:0:0:0:1'],
  'private 10/8': ['10.0.0.1', '10.255.255.255'],
  'private 172.16/12': ['172.16.0.1', '172.31.255.254'],
  'private 192.168/16': ['192.168.0.1', '192.168.255.255'],
  'link-local 169.254/16 (cloud metadata)': ['169.254.169.254', '169.254.0.1'],
  'link-local fe80::/10': ['fe80::1', 'febf::1'],
  'CGNAT 100.64/10': ['100.64.0.1', '100.127.255.254'],
  'multicast v4 224/4': ['224.0.0.1', '239.255.255.250'],
  'multicast v6 ff00::/8': ['ff02::1', 'ff0e::fb'],
  broadcast: ['255.255.255.255'],
  'unspecified and this-network 0/8': ['0.0.0.0', '0.1.2.3', '::'],
  'reserved 240/4': ['240.0.0.1', '250.1.2.3'],
  'IETF protocol assignments 192.0.0/24': ['192.0.0.1', '192.0.0.170'],
  'benchmarking 198.18/15': ['198.18.0.1', '198.19.255.254'],
  'documentation v4': ['192.0.2.1', '198.51.100.7', '203.0.113.9'],
  'documentation v6 2001:db8::/32 and 3fff::/20': ['2001:db8::1', '3fff::1'],
  'unique local fc00::/7': ['fc00::1', 'fd12:3456:789a::1'],
  'IPv4-mapped IPv6 of non-public addresses': [
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
  ],
  'IPv4-compatible ::a.b.c.d (deprecated)': ['::127.0.0.1', '::7f00:1', '::808:808'],
  'NAT64 64:ff9b::/96 and 64:ff9b:1::/48': ['64:ff9b::7f00:1', '64:ff9b::808:808', '64:ff9b:1::a00:1'],
  '6to4 2002::/16': ['2002:7f00:1::1', '2002:808:808::1'],
  'Teredo 2001::/32': ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  'discard 100::/64 and site-local fec0::/10': ['100::1', 'fec0::1'],
  'outside global unicast 2000::/3': ['4000::1', '5f00::1'],
  'not a strict address': ['fe80::1%eth0', '127.1', '0x7f.0.0.1', '2130706433', 'localhost', '', '[::1]'],
};

describe('isAddressAllowed', () => {
  for (const [label, addresses] of Object.entries(REFUSED)) {
    it(`refuses ${label}`, () => {
      for (const address of addresses) expect(isAddressAllowed(address, STRICT), address).toBe(false);
    });
  }

  it('allows public unicast addresses', () => {
    const publicAddresses = ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'];
    for (const address of publicAddresses) expect(isAddressAllowed(address, STRICT), address).toBe(true);
  });

  it('judges IPv4-mapped IPv6 as the IPv4 address it maps', () => {
    expect(isAddressAllowed('::ffff:93.184.216.34', STRICT)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.1', STRICT)).toBe(false);
    const allowLoopback: WebhookNetworkPolicy = { allowHttp: true, allowCidrs: parseAllowCidrs('127.0.0.1/32') };
    expect(isAddressAllowed('::ffff:127.0.0.1', allowLoopback)).toBe(true);
  });

  it('lets the allow-list open exactly the listed ranges', () => {
    const policy: WebhookNetworkPolicy = { allowHttp: true, allowCidrs: parseAllowCidrs('127.0.0.1/32') };
    expect(isAddressAllowed('127.0.0.1', policy)).toBe(true);
    expect(isAddressAllowed('127.0.0.2', policy)).toBe(false);
    expect(isAddressAllowed('::1', policy)).toBe(false);
    expect(isAddressAllowed('10.0.0.1', policy)).toBe(false);
    expect(isAddressAllowed('93.184.216.34', policy)).toBe(true);

    const wider: WebhookNetworkPolicy = { allowHttp: true, allowCidrs: parseAllowCidrs('10.1.0.0/16, ::1/128') };
    expect(isAddressAllowed('10.1.200.3', wider)).toBe(true);
    expect(isAddressAllowed('10.2.0.1', wider)).toBe(false);
    expect(isAddressAllowed('::1', wider)).toBe(true);
  });
});

describe('parseAllowCidrs', () => {
  it('parses a comma-separated list, blank entries and surrounding spaces ignored', () => {
    expect(parseAllowCidrs('127.0.0.1/32,::1/128').map((r) => r.text)).toEqual(['127.0.0.1/32', '::1/128']);
    expect(parseAllowCidrs(' 10.0.0.0/8 , ,192.168.1.5').map((r) => r.text)).toEqual(['10.0.0.0/8', '192.168.1.5']);
    expect(parseAllowCidrs(undefined)).toEqual([]);
    expect(parseAllowCidrs('')).toEqual([]);
  });

  it('throws naming the bad entry', () => {
    expect(() => parseAllowCidrs('127.0.0.1/32,localhost')).toThrow(/"localhost"/);
    expect(() => parseAllowCidrs('10.0.0.0/33')).toThrow(/prefix length/);
    expect(() => parseAllowCidrs('10.0.0.1/8')).toThrow(/host bits/);
    expect(() => parseAllowCidrs('127.1/32')).toThrow(/"127.1\/32"/);
  });
});

describe('checkEndpointUrl', () => {
  const message = (url: string, policy = STRICT): string => {
    const checked = checkEndpointUrl(url, policy);
    if (checked.ok) throw new Error(`expected ${url} to be refused`);
    return checked.message;
  };

  it('accepts an https URL with a name or a public address', () => {
    for (const url of ['https://hooks.example.com/postgate?x=1', 'https://93.184.216.34:8443/h', 'https://[2606:4700:4700::1111]/h']) {
      const checked = checkEndpointUrl(url, STRICT);
      expect(checked.ok, url).toBe(true);
    }
  });

  it('requires https unless http is allowed', () => {
    expect(message('http://hooks.example.com/')).toMatch(/https/);
    expect(checkEndpointUrl('http://hooks.example.com/', { allowHttp: true, allowCidrs: [] }).ok).toBe(true);
    expect(message('ftp://hooks.example.com/')).toMatch(/https/);
    expect(message('file:///etc/passwd', { allowHttp: true, allowCidrs: [] })).toMatch(/https or http/);
  });

  it('refuses relative and malformed URLs', () => {
    expect(message('/webhooks')).toMatch(/absolute/);
    expect(message('hooks.example.com/x')).toMatch(/absolute/);
    expect(message('https://')).toMatch(/absolute/);
  });

  it('refuses credentials in the URL', () => {
    expect(message('https://user:secret@hooks.example.com/')).toMatch(/username or password/);
    expect(message('https://user@hooks.example.com/')).toMatch(/username or password/);
    expect(message('https://:secret@hooks.example.com/')).toMatch(/username or password/);
  });

  it('refuses URLs longer than 2048 characters', () => {
    const base = 'https://hooks.example.com/';
    expect(checkEndpointUrl(base + 'a'.repeat(2048 - base.length), STRICT).ok).toBe(true);
    expect(message(base + 'a'.repeat(2049 - base.length))).toMatch(/2048/);
  });

  it('refuses IP literals that are not public, in every spelling the URL parser accepts', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://127.1/',
      'https://127.0.0.1./',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fd00::1]/',
      'https://[64:ff9b::a00:1]/',
    ]) {
      expect(message(url), url).toMatch(/only public internet addresses/);
    }
  });

  it('lets an allowed literal through and leaves names to connect time', () => {
    const policy: WebhookNetworkPolicy = { allowHttp: true, allowCidrs: parseAllowCidrs('127.0.0.1/32') };
    expect(checkEndpointUrl('http://127.0.0.1:8080/hook', policy).ok).toBe(true);
    expect(checkEndpointUrl('http://127.0.0.2:8080/hook', policy).ok).toBe(false);
    expect(checkEndpointUrl('https://localhost/hook', STRICT).ok).toBe(true);
  });

  it('returns the parsed URL', () => {
    const checked = checkEndpointUrl('HTTPS://Hooks.Example.COM/a', STRICT);
    expect(checked.ok && checked.url.href).toBe('https://hooks.example.com/a');
  });
});
