import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createDeps, dbTargetFor } from '../../src/app/deps.js';
import { loadConfig } from '../../src/config/config.js';
import { createDatabase, type DbTarget } from '../../src/db/client.js';
import { operator } from '../../src/modules/api-keys/principal.js';
import { recordEvent } from '../../src/modules/events/record.js';
import { createOrganization } from '../../src/modules/organizations/service.js';
import { perSecond, startCountingChild, type Counted, type CountingChild } from '../lib/counting-child.js';
import { LOAD_CORE, SERVER_CORE } from '../lib/load.js';
import { backendEnv, newBackend, TMP } from '../lib/postgate.js';
import { BIN, cpuSeconds, ROOT, runToEnd, spawnServer } from '../lib/processes.js';
import { fmt, progress, ratio, verdict, type Report } from '../lib/report.js';

// Stage 9: webhooks. 2,000 `domain.updated` events of about 1 KB, recorded in process (createDeps,
// recordEvent: the database trigger queues one delivery each for the one subscribed webhook), are
// drained by `postgate start --roles worker` to a plain node:http receiver on core 1: deliveries
// per second from the receiver's first POST to its last. The ceiling, in the same run: undici
// POSTing the same deliveries, signed the same way, to the same receiver from Postgate's core.
// Postgate lets one endpoint have at most 4 POSTs in flight in a process (PER_ENDPOINT_IN_FLIGHT,
// so a slow receiver cannot take every slot of the worker's 16), and every delivery here goes to one
// endpoint; so the ceiling has 4 in flight too, or it would measure a concurrency Postgate
// refuses itself by design. The sides alternate, twice, the best of each kept (as stage 8);
// between rounds every delivery is made due again (the replay below).

const STAGE = '9 webhooks';
const EVENTS = 2_000;
/** Events recorded per transaction: the trigger fans out once per statement, the commit once per batch. */
const PER_TRANSACTION = 250;
/** PER_ENDPOINT_IN_FLIGHT in src/modules/webhooks/claim.ts. */
const IN_FLIGHT = 4;
const BUDGET = 0.5;
const ROUNDS = 2;
/**
 * A round that has not seen every POST by then is stuck (a refused address, say): stop with the
 * worker's output. Generous: a drain took up to 110 s on a busy 2-core machine at 18/s.
 */
const ROUND_TIMEOUT_MS = 300_000;
/** The worker may POST to the receiver: http, on the loopback address (both refused by default, SSRF). */
const WEBHOOK_ENV = { POSTGATE_WEBHOOK_ALLOW_HTTP: 'true', POSTGATE_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };

type Figures = { perSec: number; cpuUs: number | undefined };
type Done = Counted & { bytes: number; connections: number };
type Receiver = CountingChild<Done>;
const urlOf = (receiver: Receiver): string => `http://127.0.0.1:${receiver.port}/webhook`;
type Prepared = { env: Record<string, string>; target: DbTarget; secret: string; deliveries: { id: string; body: string }[] };

/** With BENCH_WORKER_PROFILE_DIR, the worker and the ceiling each write a CPU profile there, a round each. */
const profiled = (): string[] => (process.env.BENCH_WORKER_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_WORKER_PROFILE_DIR] : []);

/** About 1 KB of `data`, shaped like a domain with its DNS records (what domain.updated carries). */
function domainData(i: number, at: Date): Record<string, unknown> {
  const dkim = `p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA${'x7Qk3vN9pL2mR8sT4wY6zA1bC5dE0fG'.repeat(7)}IDAQAB`;
  return {
    object: 'domain',
    id: `dom_bench${String(i).padStart(6, '0')}`,
    name: `mail${i}.bench.example.com`,
    status: 'verified',
    region: 'local',
    created_at: at.toISOString(),
    records: [
      { record: 'DKIM', name: 'postgate._domainkey', type: 'TXT', ttl: 'Auto', status: 'verified', value: `v=DKIM1; k=rsa; ${dkim}` },
      { record: 'SPF', name: 'send', type: 'TXT', ttl: 'Auto', status: 'verified', value: 'v=spf1 ip4:203.0.113.0/24 ~all' },
      { record: 'SPF', name: 'send', type: 'MX', ttl: 'Auto', status: 'verified', value: 'feedback.bench.example.com', priority: 10 },
    ],
  };
}

/**
 * A new backend with an organization, one webhook to the receiver, and EVENTS events recorded
 * in transactions of PER_TRANSACTION: EVENTS deliveries queued, no worker running.
 */
async function prepare(kind: 'pglite' | 'postgres', receiverUrl: string): Promise<Prepared> {
  const env = { ...backendEnv(await newBackend(kind, `webhooks_${kind}`)), ...WEBHOOK_ENV };
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const deps = await createDeps({ config, logger: pino({ level: 'silent' }) });
  try {
    const org = await createOrganization({ db: deps.database.db, clock: deps.clock }, { name: 'bench', plan: 'unlimited' });
    const owner = { organizationId: org.id, projectId: org.default_project_id };
    const webhook = await deps.services.webhooks.create(operator(owner.organizationId, owner.projectId), { endpoint: receiverUrl, events: ['domain.updated'] });
    for (let start = 0; start < EVENTS; start += PER_TRANSACTION) {
      await deps.database.db.transaction(async (tx) => {
        for (let i = start; i < Math.min(EVENTS, start + PER_TRANSACTION); i++) {
          const at = new Date();
          await recordEvent(tx, { ...owner, type: 'domain.updated', data: domainData(i, at), at });
        }
      });
    }
    // What the worker will send: the delivery's id (webhook-id) and the stored payload's bytes.
    const deliveries = await deps.database.query<{ id: string; body: string }>({
      name: 'bench_webhook_deliveries',
      text: 'SELECT d.id, e.payload::text AS body FROM webhook_deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.id',
      values: [],
    });
    if (deliveries.length !== EVENTS) throw new Error(`${EVENTS} events queued ${deliveries.length} webhook deliveries`);
    return { env, target: dbTargetFor(config), secret: webhook.signing_secret, deliveries };
  } finally {
    await deps.close();
  }
}

/** Every delivery due again, its earlier attempts not counted against its retries: the next round sends them all. */
async function replay(prepared: Prepared): Promise<void> {
  const database = await createDatabase(prepared.target);
  try {
    await database.query({
      name: 'bench_webhook_replay',
      text: "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), base_attempts = attempts",
      values: [],
    });
  } finally {
    await database.close();
  }
}

/** The worker, pinned to Postgate's core, drains the queue: deliveries/s and worker CPU per delivery. */
async function drain(receiver: Receiver, prepared: Prepared): Promise<Figures & { done: Done }> {
  let cpuAtFirst: number | undefined;
  let pid = 0;
  const round = receiver.round(EVENTS, () => (cpuAtFirst = cpuSeconds(pid)));
  const worker = await spawnServer({
    core: SERVER_CORE,
    args: [...profiled(), BIN, 'start', '--roles', 'worker'],
    env: { ...prepared.env, SMTP_PORT: '0', SMTPS_PORT: '0' },
    ready: /Delivery worker\s+(\S+)/,
  });
  pid = worker.pid;
  let timer: NodeJS.Timeout | undefined;
  try {
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the webhook worker had not delivered ${EVENTS} in ${ROUND_TIMEOUT_MS / 1000} s:\n${worker.output().slice(-2000)}`)), ROUND_TIMEOUT_MS);
    });
    const done = await Promise.race([round, stuck]);
    const cpuAtLast = cpuSeconds(pid);
    const cpuUs = cpuAtFirst !== undefined && cpuAtLast !== undefined ? ((cpuAtLast - cpuAtFirst) * 1e6) / (done.received - 1) : undefined;
    return { perSec: perSecond(done), cpuUs, done };
  } finally {
    clearTimeout(timer);
    await worker.stop();
  }
}

/** undici posting the same signed deliveries to the receiver, IN_FLIGHT at once. */
async function ceiling(receiver: Receiver, prepared: Prepared, payloads: string): Promise<Figures & { done: Done }> {
  const round = receiver.round(EVENTS, () => undefined);
  const out = await runToEnd({
    core: SERVER_CORE,
    command: process.execPath,
    args: [...profiled(), '--import', 'tsx', path.join(ROOT, 'bench/stages/webhook-ceiling.ts')],
    env: { BENCH_CEILING: JSON.stringify({ url: urlOf(receiver), secret: prepared.secret, payloads, inFlight: IN_FLIGHT }) },
  });
  const done = await round;
  const { cpuUs, failed } = JSON.parse(out.trim().split('\n').pop()!) as { cpuUs: number; failed: number };
  if (failed > 0) throw new Error(`the ceiling had ${failed} replies other than 200`);
  return { perSec: perSecond(done), cpuUs: cpuUs / EVENTS, done };
}

/** The better of two rounds: the higher rate, the lower CPU per delivery (a shared machine only slows either). */
function best(a: Figures | undefined, b: Figures): Figures {
  if (!a) return b;
  const cpu = [a.cpuUs, b.cpuUs].filter((c): c is number => c !== undefined);
  return { perSec: Math.max(a.perSec, b.perSec), cpuUs: cpu.length > 0 ? Math.min(...cpu) : undefined };
}

const UNITS = { POSTs: 'POST', deliveries: 'delivery' } as const;
const describe = (f: Figures, unit: keyof typeof UNITS, who: string): string =>
  `${fmt(f.perSec)} ${unit}/s${f.cpuUs === undefined ? '' : ` (${fmt(f.cpuUs)} µs ${who} CPU/${UNITS[unit]})`}`;
const wire = (d: Done): string => `${fmt(d.bytes / d.received)} B bodies, ${d.connections} connections`;
const label = (kind: 'pglite' | 'postgres'): string => (kind === 'pglite' ? 'PGlite' : 'PostgreSQL');

export async function webhooksStage(o: { report: Report; postgres: boolean }): Promise<void> {
  const { report } = o;
  const kinds = o.postgres ? (['pglite', 'postgres'] as const) : (['pglite'] as const);
  const receiver = await startCountingChild<Done>('webhook-receiver.ts');
  try {
    progress(STAGE, `${EVENTS} signed deliveries of about 1 KB to a receiver on core ${LOAD_CORE}; senders on core ${SERVER_CORE}, ${IN_FLIGHT} in flight (Postgate's per-endpoint cap); ${ROUNDS} rounds, the best kept`);
    const prepared = new Map<string, Prepared>();
    for (const kind of kinds) prepared.set(kind, await prepare(kind, urlOf(receiver)));
    // The ceiling sends the first backend's deliveries: same ids, same bytes, same secret.
    const payloads = path.join(TMP, 'webhook-deliveries.json');
    const first = prepared.get(kinds[0])!;
    writeFileSync(payloads, JSON.stringify(first.deliveries));
    let top: Figures | undefined;
    const drained = new Map<string, Figures>();
    // Alternating rounds: whatever else runs on the machine slows both sides alike.
    for (let round = 1; round <= ROUNDS; round++) {
      const own = await ceiling(receiver, first, payloads);
      top = best(top, own);
      progress(STAGE, `round ${round}: undici ${describe(own, 'POSTs', 'its')}; ${wire(own.done)}`);
      for (const kind of kinds) {
        const p = prepared.get(kind)!;
        if (round > 1) await replay(p);
        const figures = await drain(receiver, p);
        drained.set(kind, best(drained.get(kind), figures));
        progress(STAGE, `round ${round}: ${label(kind)} ${describe(figures, 'deliveries', 'worker')}; ${wire(figures.done)}`);
      }
    }
    report.add({
      stage: STAGE,
      metric: `undici POSTing ${EVENTS} signed deliveries to the receiver, ${IN_FLIGHT} in flight (ceiling)`,
      value: describe(top!, 'POSTs', 'its'),
    });
    for (const kind of kinds) {
      const f = drained.get(kind)!;
      const byCpu = f.cpuUs !== undefined && top!.cpuUs !== undefined ? `; by CPU ${ratio(top!.cpuUs, f.cpuUs)}` : '';
      report.add({
        stage: STAGE,
        metric: `webhook deliveries draining ${EVENTS} queued, ${label(kind)} (worker, one endpoint: ${IN_FLIGHT} in flight at most)`,
        value: describe(f, 'deliveries', 'worker'),
        baseline: `undici ${fmt(top!.perSec)}`,
        ratio: `${ratio(f.perSec, top!.perSec)}${byCpu}`,
        budget: `>= ${BUDGET}x ceiling`,
        verdict: verdict(f.perSec >= BUDGET * top!.perSec),
      });
    }
  } finally {
    await receiver.stop();
  }
}
