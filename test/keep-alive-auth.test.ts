import http from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../src/db/schema.js';
import { bearer, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';

// A keep-alive connection that repeats its Authorization header takes a shortcut past parsing and
// hashing (verify.ts TokenMemo). The key's requests share one real socket, the administrator's
// changes go over another, and every change must apply to the very next request of the first.

type Reply = { status: number; body: { name?: string; api_key?: { id: string } }; reused: boolean };

describe('keys on one keep-alive connection', () => {
  let ctx: TestContext;
  let base: string;
  let admin: OrgFixture;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const adminAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    admin = await orgWithKey(ctx.deps, 'keepalive');
  });
  afterAll(async () => {
    agent.destroy();
    adminAgent.destroy();
    await ctx?.close();
  });

  /** One request over the key's connection. */
  const send = (method: string, path: string, token: string, body?: unknown): Promise<Reply> => over(agent, method, path, token, body);
  /** One request over the administrator's connection. */
  const manage = (method: string, path: string, body?: unknown): Promise<Reply> => over(adminAgent, method, path, admin.token, body);

  const over = (via: http.Agent, method: string, path: string, token: string, body?: unknown): Promise<Reply> =>
    withHeader(via, method, path, bearer(token).authorization, body);

  /** One request with this exact Authorization header. */
  const withHeader = (via: http.Agent, method: string, path: string, authorization: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        `${base}${path}`,
        { method, agent: via, headers: { authorization, ...(payload ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {}, reused: req.reusedSocket }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  /** Warms the connection with `token`, checking the requests did share one socket. */
  async function warm(token: string): Promise<void> {
    expect((await send('GET', '/whoami', token)).status).toBe(200);
    const again = await send('GET', '/whoami', token);
    expect(again.status).toBe(200);
    expect(again.reused).toBe(true);
  }

  it('refuses a deleted key on the next request of the same connection', async () => {
    const key = await keyFor(ctx.deps, admin.org, { name: 'doomed' });
    await warm(key.token);
    expect((await manage('DELETE', `/api-keys/${key.id}`)).status).toBe(200);
    const after = await send('GET', '/whoami', key.token);
    expect(after.reused).toBe(true);
    expect(after.status).toBe(401);
    expect(after.body.name).toBe('invalid_api_key');
  });

  it('applies a new IP allow-list, and lifting it, to the next request', async () => {
    const key = await keyFor(ctx.deps, admin.org, { name: 'fenced' });
    await warm(key.token);
    expect((await manage('PATCH', `/api-keys/${key.id}`, { allowed_ips: ['203.0.113.0/24'] })).status).toBe(200);
    const fenced = await send('GET', '/whoami', key.token);
    expect(fenced.status).toBe(403);
    expect(fenced.body.name).toBe('ip_not_allowed');
    expect((await manage('PATCH', `/api-keys/${key.id}`, { allowed_ips: [] })).status).toBe(200);
    expect((await send('GET', '/whoami', key.token)).status).toBe(200);
  });

  it('refuses the old token after a rotation without grace, and takes the new one', async () => {
    const key = await keyFor(ctx.deps, admin.org, { name: 'rotated' });
    await warm(key.token);
    const rotated = await manage('POST', `/api-keys/${key.id}/rotate`, { grace_seconds: 0 });
    expect(rotated.status).toBe(200);
    expect((await send('GET', '/whoami', key.token)).status).toBe(401);
    const fresh = (rotated.body as { token?: string }).token!;
    expect((await send('GET', '/whoami', fresh)).status).toBe(200);
  });

  it('refuses an expired key although the connection verified it before', async () => {
    const key = await keyFor(ctx.deps, admin.org, { name: 'short-lived', expires_at: new Date(ctx.clock.nowMs() + 60_000).toISOString() });
    await warm(key.token);
    ctx.clock.advance(61_000);
    expect((await send('GET', '/whoami', key.token)).status).toBe(401);
  });

  it('reads the database again once the key cache is off or its entry has aged out', async () => {
    const dropRow = (id: string) => ctx.deps.database.db.delete(apiKeys).where(eq(apiKeys.id, id));
    // Deleted behind the cache's back (no invalidation): only a read of the database can tell.
    const unplugged = await keyFor(ctx.deps, admin.org, { name: 'bus-lost' });
    await warm(unplugged.token);
    await dropRow(unplugged.id);
    ctx.deps.keyCache.setEnabled(false);
    try {
      const refused = await send('GET', '/whoami', unplugged.token);
      expect(refused.reused).toBe(true);
      expect(refused.status).toBe(401);
    } finally {
      ctx.deps.keyCache.setEnabled(true);
    }
    const aged = await keyFor(ctx.deps, admin.org, { name: 'aged' });
    await warm(aged.token);
    await dropRow(aged.id);
    expect((await send('GET', '/whoami', aged.token)).status).toBe(200);
    ctx.clock.advance(ctx.deps.config.keyCacheTtlMs + 1);
    expect((await send('GET', '/whoami', aged.token)).status).toBe(401);
  });

  it('does not let another token ride on a verified one', async () => {
    const key = await keyFor(ctx.deps, admin.org, { name: 'original' });
    await warm(key.token);
    // Same length and prefix, last character changed: the checksum fails, and no memo matches.
    const last = key.token.at(-1) === 'a' ? 'b' : 'a';
    const forged = key.token.slice(0, -1) + last;
    const refused = await send('GET', '/whoami', forged);
    expect(refused.reused).toBe(true);
    expect(refused.status).toBe(401);
    // Another organization's valid key on the same connection is that key, not the previous one.
    const other = await orgWithKey(ctx.deps, 'other-org');
    const switched = await send('GET', '/whoami', other.token);
    expect(switched.status).toBe(200);
    expect(switched.body.api_key?.id).toBe(other.key.id);
  });

  it('remembers the header exactly as sent: another spelling is parsed afresh, a longer one refused', async () => {
    const key = await keyFor(ctx.deps, admin.org, { name: 'spelled' });
    await warm(key.token);
    const spelled = await withHeader(agent, 'GET', '/whoami', `bearer   ${key.token}`);
    expect(spelled.reused).toBe(true);
    expect(spelled.status).toBe(200);
    expect(spelled.body.api_key?.id).toBe(key.id);
    // The remembered header with something after it is another credential: not a memo hit.
    for (const header of [`Bearer ${key.token}x`, `Bearer ${key.token} ${key.token}`, `Bearer ${key.token.slice(0, -1)}`]) {
      const refused = await withHeader(agent, 'GET', '/whoami', header);
      expect(refused.reused).toBe(true);
      expect(refused.status).toBe(401);
    }
    expect((await send('GET', '/whoami', key.token)).status).toBe(200);
  });
});
