import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { normalizeIp } from '../../lib/ip.js';
import { BoundedMap } from '../limits/bounded-map.js';
import { checkUrlShape, isAddressAllowed, type EndpointCheck, type WebhookNetworkPolicy } from './address-policy.js';

// The HTTP client webhook deliveries go through. Its one security job is SSRF: a user picks the
// URL, Postgate dials it from inside the operator's network. The guard sits in the connector,
// the one place that knows the address about to be dialled: the name is resolved here, every
// address it resolves to is checked (address-policy.ts), and the socket is opened to a checked
// address, never to the name again. A resolver that answers a public address first and
// 127.0.0.1 next (DNS rebinding) therefore gains nothing. IP literals go through the same check.
//
// No redirects are followed: undici (6 and 7) follows them only when its redirect interceptor is
// composed onto the dispatcher, and this client composes none, so a 3xx (possibly pointing at
// 169.254.169.254) comes back as its status and the caller counts it as a failure.

export type WebhookRequest = Readonly<{ url: string; headers: Record<string, string>; body: string }>;

export type WebhookResponse = Readonly<{
  /** The HTTP status; undefined when no response arrived (refused, DNS, connect, timeout). */
  status: number | undefined;
  /** At most maxResponseBytes of the body, decoded as UTF-8; shortening it for storage is the caller's. */
  responseExcerpt: string;
  durationMs: number;
  /** From Retry-After (seconds or HTTP-date) when it says 0..86400 seconds; otherwise undefined. */
  retryAfterSeconds: number | undefined;
  /**
   * Why the attempt did not complete: `address_not_allowed: 127.0.0.1`, `timeout`,
   * `dns ENOTFOUND`, `connect ECONNREFUSED`, `invalid_url: ...`. A status can come with an error
   * when the body failed after the headers arrived. A body over the cap is not an error.
   */
  error: string | undefined;
}>;

export type WebhookHttpClient = Readonly<{
  /** Never throws for network conditions: every failure is a WebhookResponse with `error`. */
  post(request: WebhookRequest): Promise<WebhookResponse>;
  close(): Promise<void>;
}>;

export type WebhookHttpClientOptions = Readonly<{
  policy: WebhookNetworkPolicy;
  /** POSTGATE_DNS_SERVERS (`host[:port]`); the system resolver (getaddrinfo) when absent. */
  dnsServers?: readonly string[];
  /** Connect, headers and body together (CONTRACT: 15 s). */
  timeoutMs?: number;
  /** Bytes of response body read at most (CONTRACT: 64 KiB); the rest is never downloaded. */
  maxResponseBytes?: number;
}>;

const USER_AGENT = 'Postgate-Webhooks/1.0';
const MAX_RETRY_AFTER_SECONDS = 86_400;
const DNS_QUERY_TIMEOUT_MS = 5_000;

/** A failure whose message is already the `error` text the caller stores. */
class DeliveryNetworkError extends Error {}

type ResolveAddresses = (hostname: string) => Promise<string[]>;

export function createWebhookHttpClient(options: WebhookHttpClientOptions): WebhookHttpClient {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  const agent = new Agent({
    connect: guardedConnector({
      policy: options.policy,
      resolve: addressResolver(options.dnsServers, timeoutMs),
      timeoutMs,
    }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  // An endpoint's URL judged once per process: the policy does not change while it runs.
  const shapes = new BoundedMap<EndpointCheck>(1_000, () => false);
  const shapeOf = (url: string): EndpointCheck => {
    const known = shapes.get(url);
    if (known) return known;
    const shape = checkUrlShape(url, options.policy);
    shapes.set(url, shape);
    return shape;
  };
  return Object.freeze({
    post: (request: WebhookRequest) => post(agent, request, { shapeOf, timeoutMs, maxResponseBytes }),
    close: () => agent.close(),
  });
}

type PostSettings = Readonly<{ shapeOf(url: string): EndpointCheck; timeoutMs: number; maxResponseBytes: number }>;

async function post(agent: Agent, request: WebhookRequest, settings: PostSettings): Promise<WebhookResponse> {
  const started = performance.now();
  const done = (fields: Partial<WebhookResponse>): WebhookResponse => ({
    status: undefined,
    responseExcerpt: '',
    retryAfterSeconds: undefined,
    error: undefined,
    ...fields,
    durationMs: performance.now() - started,
  });
  // Repeated at delivery time: the operator may have turned http off since the endpoint was saved.
  const shape = settings.shapeOf(request.url);
  if (!shape.ok) return done({ error: `invalid_url: ${shape.message}` });
  // One deadline for DNS, connect, headers and body: a slow drip of bytes cannot hold a worker.
  // A timer cleared when the attempt ends (AbortSignal.timeout's would outlive it, weakly held).
  // undici heeds the abort only once connected, and each address dialled has a connect timeout
  // of its own: the race ends the attempt at the deadline even while a name is being resolved
  // or silent addresses tried one after the other (those end by their own timeouts, unheard).
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      deadline.abort();
      resolve('timeout');
    }, settings.timeoutMs);
  });
  const signal = deadline.signal;
  try {
    let response: Dispatcher.ResponseData;
    try {
      const sent = agent.request({
        origin: shape.url.origin,
        path: `${shape.url.pathname}${shape.url.search}`,
        method: 'POST',
        headers: headersFor(request.headers),
        body: request.body,
        signal,
      });
      const first = await Promise.race([sent, expired]);
      if (first === 'timeout') {
        // An answer after the deadline is not read: its connection is closed.
        sent.then((late) => late.body.destroy(), () => undefined);
        return done({ error: 'timeout' });
      }
      response = first;
    } catch (error) {
      return done({ error: describeError(error, signal) });
    }
    const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], Date.now());
    const read = await readCapped(response.body, settings.maxResponseBytes);
    return done({
      status: response.statusCode,
      responseExcerpt: read.text,
      retryAfterSeconds,
      error: read.error === undefined ? undefined : describeError(read.error, signal),
    });
  } finally {
    clearTimeout(timer);
  }
}

function headersFor(given: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  // Lower-cased so a caller's `Content-Type` replaces the default instead of sending it twice.
  for (const [name, value] of Object.entries(given)) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * Reads at most `max` bytes and then stops: destroying the body closes the connection, so a
 * 10 MB answer costs 64 KiB of memory and no more download. Its events, not an async iterator:
 * this runs once per delivery, and the iterator costs more than the read.
 */
function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<{ text: string; error: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    // `stream: true` leaves out a character cut in half by the cap instead of showing U+FFFD.
    let settled = false;
    const finish = (error: unknown): void => {
      if (settled) return;
      settled = true;
      resolve({ text: new TextDecoder().decode(Buffer.concat(chunks), { stream: true }), error });
    };
    const onData = (chunk: Buffer): void => {
      const room = max - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size < max) return;
      // Only this reader's listener goes: undici's own (its abort listener's removal) stay.
      body.off('data', onData);
      finish(undefined);
      body.destroy();
    };
    body.on('data', onData);
    body.once('end', () => finish(undefined));
    body.once('error', (error) => finish(error));
    // Closed without an end or an error: what came is all there is (the first of these counts).
    body.once('close', () => finish(undefined));
  });
}

/** Seconds from a Retry-After value (delay-seconds or HTTP-date), when within 0..86400. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined; // absent, or repeated: ambiguous
  const text = value.trim();
  let seconds: number;
  if (/^\d{1,10}$/.test(text)) {
    seconds = Number(text);
  } else if (/^[A-Za-z]{3,9},? /.test(text)) {
    // The three HTTP-date forms start with a day name; Date.parse alone would take "1.5" as a date.
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.max(0, Math.ceil((at - nowMs) / 1000));
  } else {
    return undefined;
  }
  return seconds <= MAX_RETRY_AFTER_SECONDS ? seconds : undefined;
}

function describeError(error: unknown, signal: AbortSignal): string {
  if (error instanceof DeliveryNetworkError) return error.message;
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  if (signal.aborted || (typeof code === 'string' && code.endsWith('_TIMEOUT'))) return 'timeout';
  // Node's socket errors read as `connect ECONNREFUSED`; TLS ones as `CERT_HAS_EXPIRED`; undici's
  // own (UND_ERR_SOCKET) are clearer as their message, `other side closed`.
  if (typeof code === 'string' && typeof syscall === 'string') return `${syscall} ${code}`;
  if (typeof code === 'string' && !code.startsWith('UND_ERR')) return code;
  return error instanceof Error ? error.message : String(error);
}

function addressResolver(dnsServers: readonly string[] | undefined, timeoutMs: number): ResolveAddresses {
  if (!dnsServers) {
    return async (hostname) => {
      try {
        return (await lookup(hostname, { all: true })).map((entry) => entry.address);
      } catch (error) {
        throw dnsError(error);
      }
    };
  }
  const resolver = new Resolver({ timeout: Math.min(timeoutMs, DNS_QUERY_TIMEOUT_MS), tries: 2 });
  resolver.setServers([...dnsServers]);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (addresses.length > 0) return addresses;
    throw dnsError(v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined);
  };
}

function dnsError(error: unknown): DeliveryNetworkError {
  const code = (error as { code?: unknown } | undefined)?.code;
  return new DeliveryNetworkError(`dns ${typeof code === 'string' ? code : 'ENODATA'}`);
}

type GuardOptions = Readonly<{ policy: WebhookNetworkPolicy; resolve: ResolveAddresses; timeoutMs: number }>;

/** undici's own connector, handed only addresses that passed the policy. */
function guardedConnector(options: GuardOptions): buildConnector.connector {
  const dial = buildConnector({ timeout: options.timeoutMs });
  return (connect, callback) => {
    checkedAddresses(connect.hostname, options).then(
      (addresses) => dialInOrder(dial, connect, addresses, callback),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}

async function checkedAddresses(hostname: string, options: GuardOptions): Promise<string[]> {
  // undici passes IPv6 literals without their brackets.
  const addresses = isIP(hostname) !== 0 ? [hostname] : await options.resolve(hostname);
  // Every address, not just the one dialled first: a fallback to the next must be as safe.
  const refused = addresses.find((address) => !isAddressAllowed(address, options.policy));
  // A literal is shown folded (::ffff:7f00:1 as 127.0.0.1): the address the policy judged. What a
  // name resolved to is not shown: the attempt log would map the operator's internal DNS for users.
  if (refused !== undefined) {
    throw new DeliveryNetworkError(`address_not_allowed: ${isIP(hostname) !== 0 ? normalizeIp(refused) : `${hostname} resolves to an address that is not public`}`);
  }
  if (addresses.length === 0) throw new DeliveryNetworkError('dns ENODATA');
  return addresses;
}

/** Tries each checked address in turn (an unreachable IPv6 route fails fast), as a browser would. */
function dialInOrder(
  dial: buildConnector.connector,
  connect: buildConnector.Options,
  addresses: readonly string[],
  callback: buildConnector.Callback,
): void {
  // The certificate must match the name in the URL, not the address dialled; a literal sends no SNI.
  const servername = connect.servername ?? (isIP(connect.hostname) === 0 ? connect.hostname : undefined);
  const attempt = (index: number): void => {
    dial({ ...connect, hostname: addresses[index]!, servername }, (...result) => {
      if (result[0] !== null && index + 1 < addresses.length) {
        attempt(index + 1);
        return;
      }
      callback(...result);
    });
  };
  attempt(0);
}
