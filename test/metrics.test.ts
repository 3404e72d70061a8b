import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import { deliveryDeps } from '../src/worker/worker.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { expositionProblems } from './prometheus-text.js';

// GET /metrics: Prometheus text that a real parser and a strict line-by-line grammar check both
// accept, counters that move with the requests made, and the route's own access rule: a bearer
// token when POSTGATE_METRICS_TOKEN is set, else loopback clients only.

const TOKEN = 'metrics-token-0123456789abcdef';

function sampleValue(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? Number.NaN : Number(sample.value);
}

describe('GET /metrics with POSTGATE_METRICS_TOKEN', () => {
  let ctx: TestContext;
  let acme: OrgFixture;
  beforeAll(async () => {
    ctx = await createTestContext('pglite', { POSTGATE_METRICS_TOKEN: TOKEN, POSTGATE_AUTH_FAILURE_LIMIT: '3' });
    acme = await orgWithKey(ctx.deps, 'acme');
  });
  afterAll(async () => ctx?.close());

  const scrape = async (): Promise<{ text: string; families: PrometheusFamily[] }> => {
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics', headers: bearer(TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.body, families: parsePrometheusTextFormat(res.body) };
  };

  it('refuses a request without the token, or with another, with 401 invalid_metrics_token', async () => {
    for (const headers of [{}, bearer('metrics-token-0123456789abcdeX'), bearer(TOKEN.slice(0, -1)), { authorization: TOKEN }, bearer(acme.token)]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().name).toBe('invalid_metrics_token');
      expect(res.body).not.toContain('postgate_');
    }
  });

  it('serves well-formed Prometheus text, with HELP and TYPE for every family', async () => {
    const { text, families } = await scrape();
    expect(expositionProblems(text)).toEqual([]);
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      postgate_http_requests_total: 'COUNTER',
      postgate_http_request_duration_seconds: 'HISTOGRAM',
      postgate_key_verifications_total: 'COUNTER',
      postgate_http_limits_hit_total: 'COUNTER',
      postgate_email_deliveries_total: 'COUNTER',
      postgate_email_queue_depth: 'GAUGE',
      postgate_email_queue_oldest_due_age_seconds: 'GAUGE',
      postgate_request_log_dropped_total: 'COUNTER',
    });
    for (const family of families) expect(family.help, family.name).not.toBe('');
  });

  it('moves the counters: requests by route and status, verification outcomes, limits hit', async () => {
    const before = (await scrape()).families;
    const wrongScope = await keyFor(ctx.deps, acme.org, { name: 'emails only', permission: 'custom', scopes: ['emails:read'] });
    for (let i = 0; i < 3; i++) await ctx.app.inject({ method: 'GET', url: '/whoami', headers: bearer(acme.token) });
    await ctx.app.inject({ method: 'GET', url: '/domains', headers: bearer(wrongScope.token) });
    await ctx.app.inject({ method: 'GET', url: '/domains/dom_x', headers: bearer(acme.token) });
    // Four wrong keys from one address: 401s, then 429 too_many_auth_failures past the limit of 3.
    for (let i = 0; i < 4; i++) await ctx.app.inject({ method: 'GET', url: '/whoami', headers: bearer('pgt_live_wrong'), remoteAddress: '198.51.100.7' });
    const after = (await scrape()).families;
    const moved = (name: string, labels: Record<string, string>): number => sampleValue(after, name, labels) - (sampleValue(before, name, labels) || 0);

    expect(moved('postgate_http_requests_total', { method: 'GET', route: '/whoami', status: '200' })).toBe(3);
    // The route pattern, never the path with its id.
    expect(moved('postgate_http_requests_total', { method: 'GET', route: '/domains/:id', status: '404' })).toBe(1);
    expect(moved('postgate_http_requests_total', { method: 'GET', route: '/domains', status: '403' })).toBe(1);
    expect(after.find((f) => f.name === 'postgate_http_requests_total')!.metrics.some((m) => m.labels?.route === '/domains/dom_x')).toBe(false);
    expect(moved('postgate_key_verifications_total', { outcome: 'ok' })).toBe(4);
    expect(moved('postgate_key_verifications_total', { outcome: 'insufficient_scope' })).toBe(1);
    const throttled = moved('postgate_key_verifications_total', { outcome: 'throttled' });
    expect(throttled).toBeGreaterThanOrEqual(1);
    expect(moved('postgate_key_verifications_total', { outcome: 'invalid' }) + throttled).toBe(4);
    expect(moved('postgate_http_limits_hit_total', { code: 'too_many_auth_failures' })).toBe(throttled);
  });

  it('reads the queue depth and the oldest due email from the database, and counts deliveries', async () => {
    const domain = `q${Date.now()}.example`;
    await domainFor(ctx.deps, acme.org, domain);
    const { id } = await ctx.deps.services.emails.send(senderFor(acme.org), emailBody(`hello@${domain}`));
    let families = (await scrape()).families;
    expect(sampleValue(families, 'postgate_email_queue_depth', { state: 'due' })).toBe(1);
    expect(sampleValue(families, 'postgate_email_queue_oldest_due_age_seconds')).toBeGreaterThanOrEqual(0);

    // The worker's own delivery steps: they count outcomes (worker.ts wraps the recorder).
    await deliverEmail(deliveryDeps(ctx.deps), id);
    families = (await scrape()).families;
    expect(sampleValue(families, 'postgate_email_deliveries_total', { outcome: 'sent' })).toBe(1);
    expect(sampleValue(families, 'postgate_email_queue_depth', { state: 'due' })).toBe(0);
  });

  it('keeps a registry per instance: another app in the same process counts only its own', async () => {
    const other = await createTestContext('pglite', { POSTGATE_METRICS_TOKEN: TOKEN });
    try {
      const res = await other.app.inject({ method: 'GET', url: '/metrics', headers: bearer(TOKEN) });
      const families = parsePrometheusTextFormat(res.body);
      expect(sampleValue(families, 'postgate_key_verifications_total', { outcome: 'ok' })).toBe(0);
      expect(sampleValue(families, 'postgate_http_requests_total', { route: '/whoami' })).toBeNaN();
    } finally {
      await other.close();
    }
  });
});

describe('GET /metrics without a token', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());

  it('serves loopback clients only, and nobody through a proxy', async () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics', remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(200);
    }
    for (const remoteAddress of ['203.0.113.9', '10.0.0.1', '2001:db8::1']) {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics', remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(404);
      expect(res.json().name).toBe('not_found');
    }
    // A reverse proxy on this host makes every client look local: its headers give it away.
    for (const headers of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { 'x-real-ip': '203.0.113.9' }]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', headers });
      expect(res.statusCode).toBe(404);
    }
  });

  it('answers nobody when a proxy is declared (TRUST_PROXY): only a token tells the scraper apart then', async () => {
    const proxied = await createTestContext('pglite', { TRUST_PROXY: '127.0.0.1' });
    try {
      const res = await proxied.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
      expect(res.statusCode).toBe(404);
    } finally {
      await proxied.close();
    }
  });
});

describe('metrics configuration and the format check', () => {
  it('refuses a short POSTGATE_METRICS_TOKEN without printing it', () => {
    expect(() => loadConfig({ POSTGATE_METRICS_TOKEN: 'short-secret' })).toThrow(ConfigError);
    expect(() => loadConfig({ POSTGATE_METRICS_TOKEN: 'short-secret' })).toThrow(/^Invalid configuration: POSTGATE_METRICS_TOKEN must be/);
    expect(() => loadConfig({ POSTGATE_METRICS_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    expect(loadConfig({ POSTGATE_METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
  });

  it('the format check refuses malformed exposition text', () => {
    expect(expositionProblems('# HELP a_total x\n# TYPE a_total counter\na_total{k="v"} 1\n')).toEqual([]);
    expect(expositionProblems('a_total 1\n')).not.toEqual([]);
    expect(expositionProblems('# HELP a x\n# TYPE a counter\na{k="v} 1\n')).not.toEqual([]);
    expect(expositionProblems('# HELP a x\n# TYPE a counter\na one\n')).not.toEqual([]);
    expect(expositionProblems('# HELP a x\n# TYPE a counter\na 1')).not.toEqual([]);
    expect(expositionProblems('# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\na 1\n')).not.toEqual([]);
  });
});
