import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** The ConfigError that `env` produces; fails the test when loading succeeds. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

/** CONTRACT.md section 2: one clear line naming the variable. */
function expectRefusedNaming(env: NodeJS.ProcessEnv, variable: string): ConfigError {
  const error = configError(env);
  expect(error.name).toBe('ConfigError');
  // The name must stand alone: PORT must not be found inside SMTP_PORT.
  expect(error.message).toMatch(new RegExp(`(^|[^A-Z_])${variable}([^A-Z_]|$)`));
  expect(error.message).not.toMatch(/\n/);
  return error;
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('follows the contract table', () => {
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.smtpPort).toBe(2587);
    expect(config.smtpsPort).toBe(2465);
    expect(config.maxKeysPerOrg).toBe(15);
    expect(config.ipConcurrency).toBe(20);
    expect(config.dataDir).toBe(path.resolve('./.postgate'));
  });

  it('uses the embedded defaults: no PostgreSQL, no Redis, capture transport, generated TLS', () => {
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.smtpRelayUrl).toBeUndefined();
    expect(config.smtpTlsCert).toBeUndefined();
    expect(config.smtpTlsKey).toBeUndefined();
    expect(config.dnsServers).toBeUndefined();
  });

  it('trusts no proxy', () => {
    expect(config.trustProxy).toEqual([]);
  });

  it('rates plans at free 10, pro 100, scale 1000 and unlimited without bound', () => {
    expect(config.planRates).toEqual({ free: 10, pro: 100, scale: 1000, unlimited: Number.POSITIVE_INFINITY });
  });

  it('caches keys for at most a minute and logs at info', () => {
    expect(config.keyCacheTtlMs).toBe(60_000);
    expect(config.logLevel).toBe('info');
  });

  it('treats empty variables as unset', () => {
    const fromEmpty = loadConfig({ PORT: '', HOST: '', DATABASE_URL: '', TRUST_PROXY: '', SMTP_TLS_CERT: '', POSTGATE_MAX_KEYS_PER_ORG: '' });
    expect(fromEmpty).toEqual(config);
  });

  it('reads only the environment it is given', () => {
    expect(loadConfig({ PORT: '9999' }).port).toBe(9999);
    expect(loadConfig({}).port).toBe(8080);
  });
});

describe('loadConfig overrides', () => {
  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '3000',
      HOST: '0.0.0.0',
      POSTGATE_DATA_DIR: '/var/lib/postgate',
      DATABASE_URL: 'postgresql://u:p@db:5432/postgate',
      REDIS_URL: 'rediss://cache:6380',
      SMTP_RELAY_URL: 'smtps://user:pass@relay.example.com:465',
      SMTP_PORT: '587',
      SMTPS_PORT: '465',
      SMTP_TLS_CERT: '/etc/tls/cert.pem',
      SMTP_TLS_KEY: '/etc/tls/key.pem',
      TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,2001:db8::/32',
      POSTGATE_DNS_SERVERS: '1.1.1.1:53,8.8.8.8,[2001:4860:4860::8888]:53',
      POSTGATE_MAX_KEYS_PER_ORG: '50',
      POSTGATE_IP_CONCURRENCY: '5',
      POSTGATE_RATE_FREE: '2',
      POSTGATE_RATE_PRO: '20',
      POSTGATE_RATE_SCALE: '200',
      POSTGATE_KEY_CACHE_TTL_SECONDS: '300',
      POSTGATE_AUTH_FAILURE_LIMIT: '7',
      POSTGATE_SMTP_CONNECTIONS_PER_CLIENT: '4',
      POSTGATE_SMTP_AUTH_TIMEOUT_SECONDS: '10',
      POSTGATE_DELIVERY_RETRY_BASE_MS: '500',
      POSTGATE_DELIVERY_MAX_ATTEMPTS: '4',
      POSTGATE_DELIVERY_LEASE_SECONDS: '60',
      POSTGATE_DELIVERY_CONCURRENCY: '32',
      POSTGATE_RELAY_MAX_CONNECTIONS: '8',
      POSTGATE_EVENT_RETENTION_DAYS: '14',
      POSTGATE_WEBHOOK_CONCURRENCY: '8',
      POSTGATE_WEBHOOK_ALLOW_HTTP: 'true',
      POSTGATE_WEBHOOK_ALLOW_CIDRS: '10.0.0.0/8, 127.0.0.1',
      POSTGATE_STALE_KEY_DAYS: '30',
      POSTGATE_AUDIT_RETENTION_DAYS: '365',
      POSTGATE_REQUEST_LOG_DAYS: '7',
      POSTGATE_METRICS_TOKEN: 'scrape-token-0123456789',
      POSTGATE_PUBLIC_URL: 'https://mail.example.com/',
      POSTGATE_SECRET_KEY: 'k'.repeat(40),
      POSTGATE_INVITATION_DAYS: '3',
      LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      port: 3000,
      host: '0.0.0.0',
      staleKeyDays: 30,
      auditRetentionDays: 365,
      requestLogDays: 7,
      metricsToken: 'scrape-token-0123456789',
      publicUrl: 'https://mail.example.com',
      publicUrlSet: true,
      secretKey: 'k'.repeat(40),
      invitationTtlMs: 3 * 86_400_000,
      dataDir: '/var/lib/postgate',
      databaseUrl: 'postgresql://u:p@db:5432/postgate',
      redisUrl: 'rediss://cache:6380',
      smtpRelayUrl: 'smtps://user:pass@relay.example.com:465',
      smtpPort: 587,
      smtpsPort: 465,
      smtpTlsCert: '/etc/tls/cert.pem',
      smtpTlsKey: '/etc/tls/key.pem',
      trustProxy: ['10.0.0.1', '192.168.0.0/16', '2001:db8::/32'],
      dnsServers: ['1.1.1.1:53', '8.8.8.8', '[2001:4860:4860::8888]:53'],
      maxKeysPerOrg: 50,
      ipConcurrency: 5,
      planRates: { free: 2, pro: 20, scale: 200, unlimited: Number.POSITIVE_INFINITY },
      keyCacheTtlMs: 300_000,
      authFailureLimit: 7,
      smtpConnectionsPerClient: 4,
      smtpAuthTimeoutMs: 10_000,
      deliveryRetryBaseMs: 500,
      deliveryMaxAttempts: 4,
      deliveryLeaseSeconds: 60,
      deliveryConcurrency: 32,
      relayMaxConnections: 8,
      eventRetentionDays: 14,
      webhookConcurrency: 8,
      webhookPolicy: { allowHttp: true, allowCidrs: [expect.objectContaining({ text: '10.0.0.0/8' }), expect.objectContaining({ text: '127.0.0.1' })] },
      logLevel: 'debug',
    });
  });

  it('accepts postgres:// as well as postgresql://, and redis:// and smtp://', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/pg' }).databaseUrl).toBe('postgres://localhost/pg');
    expect(loadConfig({ REDIS_URL: 'redis://localhost:6379' }).redisUrl).toBe('redis://localhost:6379');
    expect(loadConfig({ SMTP_RELAY_URL: 'smtp://localhost:25' }).smtpRelayUrl).toBe('smtp://localhost:25');
  });

  it('retries deliveries from 30 s, 10 attempts, 10 second leases, 16 at once over 5 relay connections by default; refuses a relay URL without a host', () => {
    const config = loadConfig({});
    expect([config.deliveryRetryBaseMs, config.deliveryMaxAttempts, config.deliveryLeaseSeconds]).toEqual([30_000, 10, 10]);
    expect([config.deliveryConcurrency, config.relayMaxConnections]).toEqual([16, 5]);
    expect(() => loadConfig({ SMTP_RELAY_URL: 'smtp://' })).toThrow(/^Invalid configuration: SMTP_RELAY_URL must name a host/);
    expect(() => loadConfig({ POSTGATE_DELIVERY_LEASE_SECONDS: '1' })).toThrow(/POSTGATE_DELIVERY_LEASE_SECONDS/);
    expect(() => loadConfig({ POSTGATE_DELIVERY_CONCURRENCY: '0' })).toThrow(/POSTGATE_DELIVERY_CONCURRENCY must be 1 or more/);
    expect(() => loadConfig({ POSTGATE_RELAY_MAX_CONNECTIONS: '101' })).toThrow(/POSTGATE_RELAY_MAX_CONNECTIONS must be 100 or less/);
  });

  it('refuses a webhook allow-list entry that is not an address or range', () => {
    expect(() => loadConfig({ POSTGATE_WEBHOOK_ALLOW_CIDRS: '10.0.0.0/8,intranet' })).toThrow(/^Invalid configuration: POSTGATE_WEBHOOK_ALLOW_CIDRS/);
    expect(() => loadConfig({ POSTGATE_WEBHOOK_ALLOW_HTTP: 'yes' })).toThrow(/POSTGATE_WEBHOOK_ALLOW_HTTP must be true or false/);
  });

  it('lets port 0 disable SMTP listeners', () => {
    const config = loadConfig({ SMTP_PORT: '0', SMTPS_PORT: '0' });
    expect(config.smtpPort).toBe(0);
    expect(config.smtpsPort).toBe(0);
  });

  it('resolves a relative data directory to an absolute path', () => {
    const config = loadConfig({ POSTGATE_DATA_DIR: 'data/pg' });
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.dataDir).toBe(path.resolve('data/pg'));
  });

  it('ignores blank items of the comma lists', () => {
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.1 ,, ' }).trustProxy).toEqual(['10.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: ',' }).trustProxy).toEqual([]);
  });
});

describe('loadConfig refuses bad configuration, naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['SMTP_PORT', 'smtp'],
    ['SMTP_PORT', '70000'],
    ['SMTPS_PORT', '-465'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'localhost:5432'],
    ['REDIS_URL', 'http://cache:6379'],
    ['SMTP_RELAY_URL', 'smpt://relay:25'],
    ['POSTGATE_MAX_KEYS_PER_ORG', '0'],
    ['POSTGATE_MAX_KEYS_PER_ORG', 'many'],
    ['POSTGATE_IP_CONCURRENCY', '0'],
    ['POSTGATE_IP_CONCURRENCY', '2.5'],
    ['POSTGATE_RATE_FREE', '0'],
    ['POSTGATE_RATE_PRO', 'fast'],
    ['POSTGATE_RATE_SCALE', '-1000'],
    ['POSTGATE_KEY_CACHE_TTL_SECONDS', '0'],
    ['POSTGATE_KEY_CACHE_TTL_SECONDS', '301'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', '0.0.0.0/0'],
    ['TRUST_PROXY', '::/0'],
    ['TRUST_PROXY', '10.0.0.1,::ffff:0.0.0.0/96'],
    ['TRUST_PROXY', '010.0.0.1'],
    ['TRUST_PROXY', '10.0.0.1,127.1'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '10.0.0.1/8'],
    ['TRUST_PROXY', 'fe80::1%eth0'],
    ['TRUST_PROXY', 'loadbalancer.internal'],
    ['TRUST_PROXY', '*'],
    ['POSTGATE_DNS_SERVERS', '1.1.1.1:53:53'],
    ['POSTGATE_DNS_SERVERS', '2001:4860:4860::8888'],
    ['POSTGATE_DNS_SERVERS', 'dns server:53'],
  ] as const)('%s=%j', (variable, value) => {
    expectRefusedNaming({ [variable]: value }, variable);
  });

  it('shows the offending TRUST_PROXY entry', () => {
    expect(expectRefusedNaming({ TRUST_PROXY: '10.0.0.1,010.0.0.1' }, 'TRUST_PROXY').message).toContain('"010.0.0.1"');
    expect(expectRefusedNaming({ TRUST_PROXY: '10.0.0.1/8' }, 'TRUST_PROXY').message).toContain('10.0.0.0/8');
  });

  it('refuses a TLS certificate without its key, and a key without its certificate', () => {
    expectRefusedNaming({ SMTP_TLS_CERT: '/etc/tls/cert.pem' }, 'SMTP_TLS_CERT');
    expectRefusedNaming({ SMTP_TLS_CERT: '/etc/tls/cert.pem' }, 'SMTP_TLS_KEY');
    expectRefusedNaming({ SMTP_TLS_KEY: '/etc/tls/key.pem' }, 'SMTP_TLS_KEY');
    expectRefusedNaming({ SMTP_TLS_KEY: '/etc/tls/key.pem' }, 'SMTP_TLS_CERT');
  });

  it('names the variable that is wrong, not another one', () => {
    const error = expectRefusedNaming({ PORT: '8080', SMTP_PORT: 'abc' }, 'SMTP_PORT');
    expect(error.message).not.toMatch(/(^|[^A-Z_])PORT([^A-Z_]|$)/);
  });

  // Bug: z.coerce.number turns a blank value into 0, so `SMTP_PORT=" "` silently disables SMTP and
  // `PORT=" "` binds a random port, instead of stopping start-up naming the variable.
  for (const variable of ['PORT', 'SMTP_PORT', 'SMTPS_PORT']) {
    it(`refuses a blank ${variable} rather than reading it as 0`, () => {
      expectRefusedNaming({ [variable]: ' ' }, variable);
    });
  }
});

describe('the loaded config', () => {
  const config = loadConfig({ TRUST_PROXY: '10.0.0.1', POSTGATE_DNS_SERVERS: '1.1.1.1:53' });

  it('is frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(8080);
  });

  it('freezes its plan rates and trusted proxies', () => {
    expect(Object.isFrozen(config.planRates)).toBe(true);
    expect(Object.isFrozen(config.trustProxy)).toBe(true);
    expect(() => {
      (config.planRates as { free: number }).free = 1_000_000;
    }).toThrow(TypeError);
    expect(() => {
      (config.trustProxy as string[]).push('0.0.0.0/0');
    }).toThrow(TypeError);
    expect(config.trustProxy).toEqual(['10.0.0.1']);
  });

  // Bug: dnsServers is the only nested value left mutable (trustProxy and planRates are frozen).
  it('freezes its DNS server list too', () => {
    expect(Object.isFrozen(config.dnsServers)).toBe(true);
  });
});
