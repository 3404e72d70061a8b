import path from 'node:path';
import { z } from 'zod';
import { parseIp, parseIpList } from '../lib/ip.js';
import { parseAllowCidrs, type WebhookNetworkPolicy } from '../modules/webhooks/address-policy.js';

// The only module that reads process.env: everything else receives a Config.

// Plain decimal digits only: no blanks read as 0, no 0x1F90, no 1e3.
const digits = z.string().trim().regex(/^\d{1,9}$/, 'must be a whole number').transform(Number);
const port = digits.pipe(z.number().max(65535, 'must be a port number 0..65535'));
const positiveInt = digits.pipe(z.number().min(1, 'must be 1 or more'));

const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

function hasHost(url: string): boolean {
  try {
    return new URL(url).hostname !== '';
  } catch {
    return false;
  }
}

const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  POSTGATE_DATA_DIR: z.string().min(1).default('./.postgate'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  SMTP_RELAY_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .refine(hasHost, 'must name a host: smtp://user:pass@host:port or smtps://...')
    .optional(),
  SMTP_PORT: port.default(2587),
  SMTPS_PORT: port.default(2465),
  SMTP_TLS_CERT: z.string().min(1).optional(),
  SMTP_TLS_KEY: z.string().min(1).optional(),
  TRUST_PROXY: commaList.optional(),
  POSTGATE_DNS_SERVERS: commaList.optional(),
  POSTGATE_MAX_KEYS_PER_ORG: positiveInt.default(15),
  POSTGATE_STALE_KEY_DAYS: positiveInt.default(90),
  POSTGATE_AUDIT_RETENTION_DAYS: positiveInt.default(180),
  POSTGATE_IP_CONCURRENCY: positiveInt.default(20),
  POSTGATE_RATE_FREE: positiveInt.default(10),
  POSTGATE_RATE_PRO: positiveInt.default(100),
  POSTGATE_RATE_SCALE: positiveInt.default(1000),
  POSTGATE_AUTH_FAILURE_LIMIT: positiveInt.default(20),
  POSTGATE_SMTP_CONNECTIONS_PER_CLIENT: positiveInt.default(20),
  POSTGATE_SMTP_AUTH_TIMEOUT_SECONDS: digits.pipe(z.number().min(1, 'must be 1 or more').max(600, 'must be 600 or less')).default(30),
  POSTGATE_DELIVERY_RETRY_BASE_MS: positiveInt.default(30_000),
  POSTGATE_DELIVERY_MAX_ATTEMPTS: positiveInt.pipe(z.number().max(50, 'must be 50 or less')).default(10),
  POSTGATE_DELIVERY_LEASE_SECONDS: digits.pipe(z.number().min(2, 'must be 2 or more').max(600, 'must be 600 or less')).default(10),
  POSTGATE_DELIVERY_CONCURRENCY: positiveInt.pipe(z.number().max(1000, 'must be 1000 or less')).default(16),
  POSTGATE_EVENT_RETENTION_DAYS: positiveInt.default(30),
  POSTGATE_WEBHOOK_CONCURRENCY: positiveInt.pipe(z.number().max(1000, 'must be 1000 or less')).default(16),
  POSTGATE_WEBHOOK_ALLOW_HTTP: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  POSTGATE_WEBHOOK_ALLOW_CIDRS: z.string().max(4096).optional(),
  POSTGATE_RELAY_MAX_CONNECTIONS: positiveInt.pipe(z.number().max(100, 'must be 100 or less')).default(5),
  POSTGATE_KEY_CACHE_TTL_SECONDS: digits.pipe(z.number().min(1).max(300, 'must be 300 or less')).default(60),
  POSTGATE_REQUEST_LOG_DAYS: positiveInt.pipe(z.number().max(3650, 'must be 3650 or less')).default(30),
  // A bearer secret for scrapers: long enough not to be guessed, no blanks to mangle in a header.
  POSTGATE_METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,512}$/, 'must be 16 to 512 printable ASCII characters without spaces').optional(),
  // Where users reach this server (invitation links); default http://HOST:PORT.
  POSTGATE_PUBLIC_URL: z.string().regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'must be an http:// or https:// URL without query or fragment').optional(),
  // Security: the install's master secret (encryption at rest, signed challenges); shared by every instance.
  POSTGATE_SECRET_KEY: z.string().regex(/^[\x21-\x7e]{32,512}$/, 'must be 32 to 512 printable ASCII characters without spaces').optional(),
  POSTGATE_INVITATION_DAYS: positiveInt.pipe(z.number().max(90, 'must be 90 or less')).default(7),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Plan = 'free' | 'pro' | 'scale' | 'unlimited';

export type Config = Readonly<{
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  smtpRelayUrl: string | undefined;
  smtpPort: number;
  smtpsPort: number;
  smtpTlsCert: string | undefined;
  smtpTlsKey: string | undefined;
  trustProxy: readonly string[];
  dnsServers: readonly string[] | undefined;
  maxKeysPerOrg: number;
  /** A key unused this many days (or never used since created that long ago) is flagged stale. */
  staleKeyDays: number;
  /** Audit events older than this are deleted; nothing else ever deletes one. */
  auditRetentionDays: number;
  ipConcurrency: number;
  planRates: Readonly<Record<Plan, number>>;
  keyCacheTtlMs: number;
  /** Failed authentications per client address per minute before it is refused (HTTP and SMTP). */
  authFailureLimit: number;
  /** SMTP connections open at once from one client (an IPv4 address, an IPv6 /64), across instances with Redis. */
  smtpConnectionsPerClient: number;
  /** How long an SMTP connection may stay open without authenticating. */
  smtpAuthTimeoutMs: number;
  /** Delivery retries: the first waits about this long, each next one twice as long (with jitter). */
  deliveryRetryBaseMs: number;
  /** Attempts before a soft-failing email is given up (`failed`). */
  deliveryMaxAttempts: number;
  /**
   * How long a delivery attempt holds an email without renewing its lease: the live worker renews
   * it while it sends; a crashed one's emails are taken again this long after.
   */
  deliveryLeaseSeconds: number;
  /** Deliveries in flight at once per worker process. */
  deliveryConcurrency: number;
  /** Days events (and their webhook deliveries and attempts) are kept. */
  eventRetentionDays: number;
  /** Webhook deliveries in flight at once per worker process. */
  webhookConcurrency: number;
  /** Where webhook deliveries may go (SSRF): https only and public addresses, unless these say otherwise. */
  webhookPolicy: WebhookNetworkPolicy;
  /** SMTP connections to SMTP_RELAY_URL per worker process. */
  relayMaxConnections: number;
  /** Days a request log row is kept before the recorder's sweep deletes it. */
  requestLogDays: number;
  /** Bearer token GET /metrics requires; undefined: /metrics answers loopback clients only. */
  metricsToken: string | undefined;
  /** The base URL links point to (no trailing slash). */
  publicUrl: string;
  /** POSTGATE_PUBLIC_URL was set; otherwise publicUrl is this server's own HOST:PORT. */
  publicUrlSet: boolean;
  /** POSTGATE_SECRET_KEY; undefined: a key generated in the data dir (modules/accounts/secret-key.ts). */
  secretKey: string | undefined;
  /** How long a team invitation link works. */
  invitationTtlMs: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}>;

function webhookAllowCidrs(text: string | undefined): WebhookNetworkPolicy['allowCidrs'] {
  try {
    return parseAllowCidrs(text);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: POSTGATE_WEBHOOK_ALLOW_CIDRS ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Thrown for bad configuration; its message is the one line start-up prints. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once into a frozen, typed Config; throws ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, the way shells and .env files usually mean them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    // Security: URLs may carry passwords and tokens are secrets; their values never reach the log.
    const shown = variable.endsWith('_URL') || variable.endsWith('_TOKEN') || variable.endsWith('_KEY') ? '' : ` (got ${JSON.stringify(env[variable])})`;
    throw new ConfigError(`Invalid configuration: ${variable} ${issue.message}${shown}`);
  }
  const e = parsed.data;
  if (Boolean(e.SMTP_TLS_CERT) !== Boolean(e.SMTP_TLS_KEY)) {
    throw new ConfigError('Invalid configuration: SMTP_TLS_CERT and SMTP_TLS_KEY must be set together');
  }
  const trustProxy = e.TRUST_PROXY ?? [];
  const proxies = parseIpList(trustProxy);
  if (!proxies.ok) {
    throw new ConfigError(`Invalid configuration: TRUST_PROXY entry ${JSON.stringify(proxies.entry)} ${proxies.reason}`);
  }
  const broad = proxies.ranges.find((r) => r.prefixLength < (r.address.kind() === 'ipv4' ? 8 : 32));
  if (broad) {
    // Security: trusting (nearly) every peer would let any client forge X-Forwarded-For.
    throw new ConfigError(`Invalid configuration: TRUST_PROXY must name proxies, not ${broad.text} (wider than /8 or /32)`);
  }
  for (const server of e.POSTGATE_DNS_SERVERS ?? []) {
    // node's resolver takes addresses only: 1.1.1.1, 1.1.1.1:53, [::1]:5353.
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+))(?::(\d{1,5}))?$/.exec(server);
    const address = match ? (match[1] ?? match[2])! : '';
    if (!match || !parseIp(address) || Number(match[3] ?? 53) > 65535) {
      throw new ConfigError(`Invalid configuration: POSTGATE_DNS_SERVERS entry ${JSON.stringify(server)} is not an IP address with an optional :port`);
    }
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.POSTGATE_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    smtpRelayUrl: e.SMTP_RELAY_URL,
    smtpPort: e.SMTP_PORT,
    smtpsPort: e.SMTPS_PORT,
    smtpTlsCert: e.SMTP_TLS_CERT,
    smtpTlsKey: e.SMTP_TLS_KEY,
    trustProxy: Object.freeze(trustProxy),
    dnsServers: e.POSTGATE_DNS_SERVERS ? Object.freeze(e.POSTGATE_DNS_SERVERS) : undefined,
    maxKeysPerOrg: e.POSTGATE_MAX_KEYS_PER_ORG,
    staleKeyDays: e.POSTGATE_STALE_KEY_DAYS,
    auditRetentionDays: e.POSTGATE_AUDIT_RETENTION_DAYS,
    ipConcurrency: e.POSTGATE_IP_CONCURRENCY,
    planRates: Object.freeze({
      free: e.POSTGATE_RATE_FREE,
      pro: e.POSTGATE_RATE_PRO,
      scale: e.POSTGATE_RATE_SCALE,
      unlimited: Number.POSITIVE_INFINITY,
    }),
    keyCacheTtlMs: e.POSTGATE_KEY_CACHE_TTL_SECONDS * 1000,
    authFailureLimit: e.POSTGATE_AUTH_FAILURE_LIMIT,
    smtpConnectionsPerClient: e.POSTGATE_SMTP_CONNECTIONS_PER_CLIENT,
    smtpAuthTimeoutMs: e.POSTGATE_SMTP_AUTH_TIMEOUT_SECONDS * 1000,
    deliveryRetryBaseMs: e.POSTGATE_DELIVERY_RETRY_BASE_MS,
    deliveryMaxAttempts: e.POSTGATE_DELIVERY_MAX_ATTEMPTS,
    deliveryLeaseSeconds: e.POSTGATE_DELIVERY_LEASE_SECONDS,
    deliveryConcurrency: e.POSTGATE_DELIVERY_CONCURRENCY,
    webhookConcurrency: e.POSTGATE_WEBHOOK_CONCURRENCY,
    eventRetentionDays: e.POSTGATE_EVENT_RETENTION_DAYS,
    webhookPolicy: Object.freeze({ allowHttp: e.POSTGATE_WEBHOOK_ALLOW_HTTP === 'true', allowCidrs: webhookAllowCidrs(e.POSTGATE_WEBHOOK_ALLOW_CIDRS) }),
    relayMaxConnections: e.POSTGATE_RELAY_MAX_CONNECTIONS,
    requestLogDays: e.POSTGATE_REQUEST_LOG_DAYS,
    metricsToken: e.POSTGATE_METRICS_TOKEN,
    publicUrl: (e.POSTGATE_PUBLIC_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlSet: e.POSTGATE_PUBLIC_URL !== undefined,
    secretKey: e.POSTGATE_SECRET_KEY,
    invitationTtlMs: e.POSTGATE_INVITATION_DAYS * 24 * 60 * 60 * 1000,
    logLevel: e.LOG_LEVEL,
  });
}
