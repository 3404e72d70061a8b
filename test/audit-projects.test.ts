import { sql } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../src/cli/operations.js';
import { recordKeyExpiries } from '../src/modules/api-keys/expiry.js';
import { operator } from '../src/modules/api-keys/principal.js';
import type { KeyWithToken } from '../src/modules/api-keys/service.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { memberOf } from './session-matrix.js';
import { signedIn } from './team-http.js';

// Projects split an organization (a key sees only its own project's objects) and the audit log
// records every mutation, append-only, with who, from where and what changed.

type Json = Record<string, unknown>;
const DAY_MS = 86_400_000;

describe.each(BACKENDS)('projects and the audit log (%s)', (backend) => {
  let ctx: TestContext;
  let acme: OrgFixture;
  let projectB: string;
  let keyB: KeyWithToken;

  beforeAll(async () => {
    ctx = await createTestContext(backend, { POSTGATE_STALE_KEY_DAYS: '90' });
    acme = await orgWithKey(ctx.deps, 'acme');
    const created = await OPERATIONS['projects.create']!(ctx.deps, { org: acme.org.id, name: 'Billing' });
    projectB = String(created.id);
    keyB = (await OPERATIONS['keys.create']!(ctx.deps, { org: acme.org.id, project: projectB, body: { name: 'billing' } })) as unknown as KeyWithToken;
  });
  afterAll(async () => ctx?.close());

  const api = async (method: string, url: string, token: string, body?: unknown, remoteAddress = '127.0.0.1') => {
    // Ids order by millisecond only: the manual clock moves on, so each change has its own.
    ctx.clock.advance(1);
    const res = await ctx.app.inject({ method: method as 'GET', url, headers: { ...bearer(token), 'user-agent': 'audit-test/1.0' }, remoteAddress, ...(body === undefined ? {} : { payload: body as Json }) });
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : {} };
  };
  const events = async (query = '') => ((await api('GET', `/audit-logs${query}`, acme.token)).body.data as Json[]) ?? [];

  it("gives a key of project B 404 for project A's domain and email, and lists both projects", async () => {
    const domainA = await domainFor(ctx.deps, acme.org, 'a.example');
    const { id: emailA } = await ctx.deps.services.emails.send(senderFor(acme.org), emailBody('app@a.example'));
    expect((await api('GET', `/domains/${domainA}`, keyB.token)).status).toBe(404);
    expect((await api('GET', `/emails/${emailA}`, keyB.token)).status).toBe(404);
    expect((await api('GET', `/domains/${domainA}`, acme.token)).status).toBe(200);
    // Nor may it send from it: another project's domain is as good as unknown.
    const send = await api('POST', '/emails', keyB.token, emailBody('app@a.example'));
    expect(send).toMatchObject({ status: 403, body: { name: 'domain_not_verified' } });
    expect((await api('POST', '/emails', acme.token, emailBody('app@a.example'))).status).toBe(200);
    const listed = (await api('GET', '/domains', keyB.token)).body.data as Json[];
    expect(listed.map((d) => d.id)).not.toContain(domainA);

    // The same through the resend SDK, unmodified.
    const base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    process.env.RESEND_BASE_URL = base;
    try {
      const resend = new Resend(keyB.token);
      expect((await resend.emails.get(emailA)).error?.name).toBe('not_found');
      expect((await resend.domains.get(domainA)).error?.name).toBe('not_found');
    } finally {
      delete process.env.RESEND_BASE_URL;
    }

    const projects = await api('GET', '/projects', keyB.token);
    expect(projects.status).toBe(200);
    expect((projects.body.data as Json[]).map((p) => p.id).sort()).toEqual([acme.org.default_project_id, projectB].sort());
  });

  it('audits creating, editing, rotating and deleting a key: actor, address, before/after, no secret', async () => {
    const created = await api('POST', '/api-keys', acme.token, { name: 'audited', permission: 'sending_access' }, '127.0.0.9');
    const id = String(created.body.id);
    await api('PATCH', `/api-keys/${id}`, acme.token, { name: 'renamed' });
    const rotated = await api('POST', `/api-keys/${id}/rotate`, acme.token, { grace_seconds: 60 });
    await api('DELETE', `/api-keys/${id}`, acme.token);

    const trail = await events(`?target_id=${id}`);
    expect(trail.map((e) => e.action)).toEqual(['api_key.deleted', 'api_key.rotated', 'api_key.updated', 'api_key.created']);
    for (const event of trail) {
      expect(event.actor).toEqual({ type: 'api_key', id: acme.key.id, name: 'owner' });
      expect(event.user_agent).toBe('audit-test/1.0');
      expect(event.request_id).toEqual(expect.any(String));
    }
    expect(trail.at(-1)!.ip).toBe('127.0.0.9');
    expect((trail[2]!.changes as Json).name).toEqual({ before: 'audited', after: 'renamed' });
    expect((trail[1]!.changes as Json).previous_token_expires_at).toMatchObject({ before: null });
    const text = JSON.stringify(trail);
    for (const secret of [String(created.body.token), String(rotated.body.token)]) expect(text).not.toContain(secret);
    const [row] = ((await ctx.deps.database.db.execute(sql`select token_hash from api_keys where id = ${acme.key.id}`)) as unknown as { rows: { token_hash: string }[] }).rows;
    expect(text).not.toContain(row!.token_hash);
    // Filters: by action (exact and per resource) and by actor.
    expect((await events(`?action=api_key.rotated&target_id=${id}`)).map((e) => e.action)).toEqual(['api_key.rotated']);
    expect((await events(`?action=api_key.*&target_id=${id}`))).toHaveLength(4);
    expect((await events(`?actor_id=nobody`))).toHaveLength(0);
    // Bounds the database cannot hold are refused as input, never a 500.
    const yearZero = await api('GET', '/audit-logs?since=0000-01-01T00:00:00Z', acme.token);
    expect(yearZero).toMatchObject({ status: 422, body: { name: 'validation_error', field: 'querystring.since' } });
    const metrics = await api('GET', '/emails/metrics?start_date=0000-01-01&end_date=0000-01-31', acme.token);
    expect(metrics).toMatchObject({ status: 422, body: { name: 'validation_error' } });
  });

  it('offers no way to change or delete an event: no route, and the database refuses updates', async () => {
    const [first] = await events();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect([404, 405]).toContain((await api(method, '/audit-logs', acme.token, {})).status);
      expect([404, 405]).toContain((await api(method, `/audit-logs/${String(first!.id)}`, acme.token, {})).status);
    }
    const refused = await ctx.deps.database.db.execute(sql`update audit_events set action = 'forged'`).then(() => undefined, (error: Error & { cause?: Error }) => error);
    expect(String(refused?.cause?.message ?? refused?.message)).toMatch(/append-only/);
    expect((await events()).some((e) => e.action === 'forged')).toBe(false);
  });

  it('needs audit:read, and shows a key of project B only its project and organization events', async () => {
    const reader = await keyFor(ctx.deps, acme.org, { name: 'no-audit', permission: 'custom', scopes: ['domains:read'] });
    expect((await api('GET', '/audit-logs', reader.token)).status).toBe(403);
    const auditorB = await ctx.deps.services.apiKeys.create(operator(acme.org.id, projectB), { name: 'auditor', permission: 'custom', scopes: ['audit:read'] });
    const seen = (await api('GET', '/audit-logs?limit=100', auditorB.token)).body.data as Json[];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.project_id === null || e.project_id === projectB)).toBe(true);
  });

  it('records api_key.used_from_new_ip once per key and address', async () => {
    const key = await keyFor(ctx.deps, acme.org, { name: 'roaming' });
    for (const ip of ['127.0.0.1', '127.0.0.1', '127.0.0.2']) await api('GET', '/whoami', key.token, undefined, ip);
    await ctx.deps.usage.flush();
    await api('GET', '/whoami', key.token, undefined, '127.0.0.2');
    await ctx.deps.usage.flush();
    const sightings = await events(`?action=api_key.used_from_new_ip&target_id=${key.id}`);
    expect(sightings.map((e) => e.ip).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(sightings[0]!.actor).toEqual({ type: 'api_key', id: key.id, name: 'roaming' });
  });

  it('counts denials (scope) in the usage, and flags a key unused past the stale threshold', async () => {
    const narrow = await keyFor(ctx.deps, acme.org, { name: 'narrow', permission: 'custom', scopes: ['domains:read'] });
    expect((await api('GET', '/emails', narrow.token)).status).toBe(403);
    const usage = await api('GET', `/api-keys/${narrow.id}/usage?days=1`, acme.token);
    expect((usage.body.days as { routes: Json[] }[]).at(-1)!.routes).toContainEqual({ route: 'GET /emails', status: 403, count: 1 });

    const idle = await keyFor(ctx.deps, acme.org, { name: 'idle' });
    const staleOf = async () => (await api('GET', `/api-keys/${idle.id}`, acme.token)).body.stale;
    expect(await staleOf()).toBe(false);
    ctx.clock.advance(91 * DAY_MS);
    expect(await staleOf()).toBe(true);
    await api('GET', '/whoami', idle.token);
    expect(await staleOf()).toBe(false);
  });

  it('deletes only an empty project, never the default one, and audits it', async () => {
    const operatorActor = operator(acme.org.id, acme.org.default_project_id);
    await expect(ctx.deps.services.projects.delete(operatorActor, projectB)).rejects.toMatchObject({ code: 'conflict' });
    await expect(ctx.deps.services.projects.delete(operatorActor, acme.org.default_project_id)).rejects.toMatchObject({ code: 'conflict' });
    const empty = await ctx.deps.services.projects.create(operatorActor, 'Scratch');
    ctx.clock.advance(1);
    await ctx.deps.services.projects.rename(operatorActor, empty.id, 'Scratch 2');
    ctx.clock.advance(1);
    await ctx.deps.services.projects.delete(operatorActor, empty.id);
    const trail = await events(`?target_id=${empty.id}`);
    expect(trail.map((e) => e.action)).toEqual(['project.deleted', 'project.renamed', 'project.created']);
    expect(trail[0]!.actor).toMatchObject({ type: 'cli' });
  });

  it('switches the dashboard between projects: lists and new keys follow the chosen project', async () => {
    const member = await memberOf(ctx.deps, 'switcher');
    const browser = await signedIn(ctx, member);
    const other = await ctx.deps.services.projects.create(operator(member.org.id, member.org.default_project_id), 'Other');
    const inDefault = (await browser.call('POST', '/dashboard/api/api-keys', { name: 'in-default' })).json() as Json;
    const names = async () => ((await browser.call('GET', '/dashboard/api/api-keys')).json().data as Json[]).map((k) => k.name);
    expect(await names()).toEqual(['in-default']);
    const switched = await browser.call('POST', '/dashboard/api/session/project', { project_id: other.id });
    expect(switched.json().project_id).toBe(other.id);
    expect(await names()).toEqual([]);
    expect((await browser.call('GET', `/dashboard/api/api-keys/${String(inDefault.id)}`)).statusCode).toBe(404);
    await browser.call('POST', '/dashboard/api/api-keys', { name: 'in-other' });
    expect(await names()).toEqual(['in-other']);
    // Another organization's project is not found, and changes nothing.
    expect((await browser.call('POST', '/dashboard/api/session/project', { project_id: projectB })).statusCode).toBe(404);
    expect((await browser.call('GET', '/dashboard/api/me')).json().project_id).toBe(other.id);
  });

  it('records api_key.expired once, as the system, when a key passes its expiry', async () => {
    const soon = new Date(ctx.clock.nowMs() + 60_000).toISOString();
    const key = await keyFor(ctx.deps, acme.org, { name: 'short-lived', expires_at: soon });
    expect(await recordKeyExpiries(ctx.deps.database.db, ctx.clock, 180)).toBe(0);
    ctx.clock.advance(61_000);
    expect(await recordKeyExpiries(ctx.deps.database.db, ctx.clock, 180)).toBe(1);
    expect(await recordKeyExpiries(ctx.deps.database.db, ctx.clock, 180)).toBe(0);
    const [event] = await events(`?action=api_key.expired&target_id=${key.id}`);
    expect(event).toMatchObject({ actor: { type: 'system', id: null }, changes: { expires_at: { before: null, after: soon } } });
  });

  it('lets retention, and only retention, remove events: those older than the retention go', async () => {
    const before = (await events('?limit=100')).length;
    expect(await ctx.deps.services.audit.sweep(180)).toBe(0);
    ctx.clock.advance(181 * DAY_MS);
    const fresh = await keyFor(ctx.deps, acme.org, { name: 'after the sweep window' });
    expect(await ctx.deps.services.audit.sweep(180)).toBeGreaterThanOrEqual(before);
    expect((await events('?limit=100')).map((e) => (e.targets as Json[])[0]!.id)).toEqual([fresh.id]);
    // The expired key's record went with the sweep: it is not announced again.
    expect(await recordKeyExpiries(ctx.deps.database.db, ctx.clock, 180)).toBe(0);
  });
});
