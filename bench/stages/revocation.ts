import { startRedis } from '../../test/processes.js';
import { expectStatus, request } from '../lib/http.js';
import { launch, provision, backendEnv, type Instance } from '../lib/postgate.js';
import { freshDatabase } from '../lib/postgres.js';
import { fmt, percentile, progress, verdict, type Report } from '../lib/report.js';

// Stage 5: two instances on one PostgreSQL and one (private) Redis. Each trial: a new key is
// created on A and used once on B (so B has it cached), deleted on A; from the DELETE's reply, B is
// polled in a tight loop (one keep-alive connection, one request after another) until it answers
// 401. The time between is the window in which a revoked key still worked somewhere.

const STAGE = '5 revocation';
const TRIALS = 100;
const GIVE_UP_MS = 5_000;

export async function revocationStage(o: { report: Report }): Promise<void> {
  const redis = await startRedis();
  const db = await freshDatabase('revocation');
  const instances: Instance[] = [];
  try {
    const common = {
      REDIS_URL: redis.url,
      // Bench-only settings: 100 keys are created in a row, and B sees 100 revoked keys (401s).
      POSTGATE_MAX_KEYS_PER_ORG: '1000',
      POSTGATE_AUTH_FAILURE_LIMIT: '1000000',
    };
    const backend = { kind: 'postgres', url: db.url } as const;
    const provisioned = await provision({ ...backendEnv(backend), ...common });
    const a = await launch({ backend, env: common, core: 0, provisioned });
    instances.push(a);
    const b = await launch({ backend, env: common, core: 1, provisioned });
    instances.push(b);
    progress(STAGE, `A ${a.url}, B ${b.url}, Redis ${redis.url}: ${TRIALS} trials`);

    const delays: number[] = [];
    let staleAccepted = 0;
    let timeouts = 0;
    for (let i = 0; i < TRIALS; i++) {
      const created = await expectStatus(
        request(`${a.url}/api-keys`, { method: 'POST', token: a.token, body: { name: `revoke-${i}`, permission: 'sending_access' } }),
        201,
        'POST /api-keys on A',
      );
      const key = created.json<{ id: string; token: string }>();
      await expectStatus(request(`${b.url}/whoami`, { token: key.token }), 200, 'GET /whoami on B before revocation');
      await expectStatus(request(`${a.url}/api-keys/${key.id}`, { method: 'DELETE', token: a.token }), 200, 'DELETE /api-keys on A');
      const t0 = process.hrtime.bigint();
      let status = 200;
      let elapsedMs = 0;
      while (status !== 401 && elapsedMs < GIVE_UP_MS) {
        status = (await request(`${b.url}/whoami`, { token: key.token })).status;
        elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
        if (status === 200) staleAccepted++;
        else if (status !== 401) throw new Error(`B answered ${status} for a revoked key`);
      }
      if (status !== 401) timeouts++;
      delays.push(elapsedMs);
    }
    delays.sort((x, y) => x - y);
    const p50 = percentile(delays, 50);
    const p99 = percentile(delays, 99);
    const max = delays[delays.length - 1]!;
    progress(STAGE, `p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms, max ${fmt(max, 2)} ms; ${staleAccepted} requests accepted on B after the DELETE's reply; ${timeouts} trials gave up`);
    o.report.add({
      stage: STAGE,
      metric: `DELETE reply on A -> first 401 on B (PostgreSQL + Redis, ${TRIALS} trials)`,
      value: `p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms, max ${fmt(max, 2)} ms (${staleAccepted} stale 200s${timeouts ? `, ${timeouts} over ${GIVE_UP_MS} ms` : ''})`,
      budget: 'p99 <= 100 ms',
      verdict: verdict(p99 <= 100 && timeouts === 0),
    });
  } finally {
    for (const instance of instances) await instance.stop();
    await redis.stop();
    await db.drop();
  }
}
