import path from 'node:path';
import { perSecond, startCountingChild, type Counted, type CountingChild } from '../lib/counting-child.js';
import { expectStatus, request } from '../lib/http.js';
import { LOAD_CORE, SERVER_CORE } from '../lib/load.js';
import { launch, newBackend, SENDER_DOMAIN, sendingKey } from '../lib/postgate.js';
import { cpuSeconds, ROOT, runToEnd, spawnServer } from '../lib/processes.js';
import { fmt, progress, ratio, verdict, type Report } from '../lib/report.js';

// Stage 8: delivery. A queue of 2,000 DKIM-signed emails of about 2 KB, accepted by Postgate
// (`--roles api`, no worker), is drained by `postgate start --roles worker` through a local sink
// relay (smtp-server answering 250, on core 1): delivered emails per second, from the sink's first
// message to its last. The ceiling, in the same run: nodemailer's own pooled client composing,
// signing and sending the same messages to the same sink from Postgate's core, with as many
// connections as Postgate's relay pool and as many messages in flight as its worker. The sides
// alternate, twice, and the best of each is kept; CPU per email beside the rate is the steadier
// figure on a shared machine (PostgreSQL itself is not pinned).

const STAGE = '8 delivery';
const EMAILS = 2_000;
const BATCH = 100;
/** Postgate's defaults (POSTGATE_DELIVERY_CONCURRENCY, POSTGATE_RELAY_MAX_CONNECTIONS). */
const CONCURRENCY = 16;
const CONNECTIONS = 5;
const BUDGET = { postgres: 0.8, pglite: 0.4 } as const;
/** Each side runs this many times, alternating; the best of each is kept. */
const ROUNDS = 2;

const FROM = `Bench <bench@${SENDER_DOMAIN}>`;
const TO = 'sink@example.net';
const PARAGRAPH = 'Your order has shipped and is on its way. Track it from your account at any time; reply to this message if anything looks wrong. ';
/** Text and HTML of about 1 KB each: with the headers and the signature, a message of about 2 KB. */
const TEXT = PARAGRAPH.repeat(7);
const HTML = `<p>${PARAGRAPH.repeat(7)}</p>`;

type Figures = { perSec: number; cpuUs: number | undefined };

type Sink = CountingChild<Counted>;

/** Fills a new backend's queue with EMAILS live emails from its verified domain, no worker running. */
async function filledQueue(kind: 'pglite' | 'postgres'): Promise<Record<string, string> | undefined> {
  const backend = await newBackend(kind, `delivery_${kind}`);
  const api = await launch({ backend, core: SERVER_CORE, roles: 'api' });
  try {
    if (!api.domainId) return undefined;
    const sender = await sendingKey(api);
    const body = Array.from({ length: BATCH }, (_, i) => ({ from: FROM, to: [TO], subject: `Your order ${i}`, text: TEXT, html: HTML }));
    for (let sent = 0; sent < EMAILS; sent += BATCH) {
      await expectStatus(request(`${api.url}/emails/batch`, { method: 'POST', token: sender.token, body }), 200, 'POST /emails/batch');
    }
    return api.env;
  } finally {
    await api.stop();
  }
}

/** Drains the queue with a worker pinned to Postgate's core; emails/s and worker CPU per email. */
async function drain(sink: Sink, env: Record<string, string>): Promise<Figures> {
  let cpuAtFirst: number | undefined;
  let pid = 0;
  const round = sink.round(EMAILS, () => (cpuAtFirst = cpuSeconds(pid)));
  const worker = await spawnServer({
    core: SERVER_CORE,
    args: [path.join(ROOT, 'bin/postgate.js'), 'start', '--roles', 'worker'],
    env: { ...env, SMTP_RELAY_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_PORT: '0', SMTPS_PORT: '0' },
    ready: /Delivery worker\s+(\S+)/,
  });
  pid = worker.pid;
  try {
    const result = await round;
    const cpuAtLast = cpuSeconds(pid);
    const cpuUs = cpuAtFirst !== undefined && cpuAtLast !== undefined ? ((cpuAtLast - cpuAtFirst) * 1e6) / (result.received - 1) : undefined;
    return { perSec: perSecond(result), cpuUs };
  } finally {
    await worker.stop();
  }
}

/** nodemailer's pool sending the same messages to the sink. */
async function ceiling(sink: Sink, pem: boolean): Promise<Figures> {
  const round = sink.round(EMAILS, () => undefined);
  const out = await runToEnd({
    core: SERVER_CORE,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(ROOT, 'bench/stages/delivery-ceiling.ts')],
    env: {
      BENCH_CEILING: JSON.stringify({ port: sink.port, count: EMAILS, connections: CONNECTIONS, inFlight: CONCURRENCY, pem, from: FROM, to: TO, subject: 'Your order', text: TEXT, html: HTML }),
    },
  });
  const result = await round;
  const { cpuUs } = JSON.parse(out.trim().split('\n').pop()!) as { cpuUs: number };
  return { perSec: perSecond(result), cpuUs: cpuUs / EMAILS };
}

/** The better of two rounds: the higher rate, the lower CPU per email (a shared machine only slows either). */
function best(a: Figures | undefined, b: Figures): Figures {
  if (!a) return b;
  const cpu = [a.cpuUs, b.cpuUs].filter((c): c is number => c !== undefined);
  return { perSec: Math.max(a.perSec, b.perSec), cpuUs: cpu.length > 0 ? Math.min(...cpu) : undefined };
}

const describe = (f: Figures, who: string): string => `${fmt(f.perSec)} emails/s${f.cpuUs === undefined ? '' : ` (${fmt(f.cpuUs)} µs ${who} CPU/email)`}`;

export async function deliveryStage(o: { report: Report; postgres: boolean }): Promise<void> {
  const { report } = o;
  const kinds = o.postgres ? (['pglite', 'postgres'] as const) : (['pglite'] as const);
  const sink = await startCountingChild<Counted>('delivery-sink.ts');
  try {
    progress(STAGE, `${EMAILS} signed messages of about 2 KB through a sink on core ${LOAD_CORE}; senders on core ${SERVER_CORE}, ${CONNECTIONS} connections, ${CONCURRENCY} in flight; ${ROUNDS} rounds, the best kept`);
    let top: Figures | undefined;
    let pem: Figures | undefined;
    const drained = new Map<string, Figures>();
    // Alternating rounds: whatever else runs on the machine slows both sides alike.
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round's own figures in the progress lines; the best of each side in the table.
      const [ownTop, ownPem] = [await ceiling(sink, false), await ceiling(sink, true)];
      [top, pem] = [best(top, ownTop), best(pem, ownPem)];
      progress(STAGE, `round ${round}: nodemailer ${describe(ownTop, 'its')}; its key as PEM text ${describe(ownPem, 'its')}`);
      for (const kind of kinds) {
        const env = await filledQueue(kind);
        if (!env) {
          report.skip(STAGE, `${kind}: no verified domain (postgate domains add --verified), so no DKIM-signed live mail`);
          return;
        }
        const own = await drain(sink, env);
        drained.set(kind, best(drained.get(kind), own));
        progress(STAGE, `round ${round}: ${kind === 'pglite' ? 'PGlite' : 'PostgreSQL'} ${describe(own, 'worker')}`);
      }
    }
    report.add({
      stage: STAGE,
      metric: `nodemailer's pool signing (KeyObject) and sending ${EMAILS} messages to the sink (ceiling)`,
      value: `${describe(top!, 'its')}; with the key as PEM text ${fmt(pem!.perSec)}/s`,
    });
    for (const kind of kinds) {
      const f = drained.get(kind)!;
      const byCpu = f.cpuUs !== undefined && top!.cpuUs !== undefined ? `; by CPU ${ratio(top!.cpuUs, f.cpuUs)}` : '';
      report.add({
        stage: STAGE,
        metric: `emails delivered draining ${EMAILS} queued, ${kind === 'pglite' ? 'PGlite' : 'PostgreSQL'} (${CONCURRENCY} at once, ${CONNECTIONS} relay connections)`,
        value: describe(f, 'worker'),
        baseline: `nodemailer ${fmt(top!.perSec)}`,
        ratio: `${ratio(f.perSec, top!.perSec)}${byCpu}`,
        budget: `>= ${BUDGET[kind]}x ceiling`,
        verdict: verdict(f.perSec >= BUDGET[kind] * top!.perSec),
      });
    }
  } finally {
    await sink.stop();
  }
}
