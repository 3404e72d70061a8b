import net from 'node:net';
import path from 'node:path';
import { LOAD_CORE } from '../lib/load.js';
import { hasEmailApi, sendingKey, type Instance } from '../lib/postgate.js';
import { cpuSeconds, ROOT, runToEnd } from '../lib/processes.js';
import { fmt, progress, verdict, type Report } from '../lib/report.js';

// Stage 4: SMTP submissions per second over 10 parallel authenticated connections, when the
// server runs an SMTP role (it was started with --roles api,smtp on the ports given here).

const STAGE = '4 SMTP';
const CONNECTIONS = 10;

export type SmtpPorts = { smtp: number; smtps: number };

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function listeningWithin(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  do {
    if (await listening(port)) return true;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < until);
  return false;
}

export async function smtpStage(o: { report: Report; seconds: number; instance: Instance; ports: SmtpPorts; label: string }): Promise<void> {
  const { report } = o;
  const smtps = await listeningWithin(o.ports.smtps, 3_000);
  const starttls = smtps ? false : await listening(o.ports.smtp);
  if (!smtps && !starttls) {
    report.skip(STAGE, `${o.label}: the server started with --roles api,smtp listens on no SMTP port (no SMTP role yet)`);
    return;
  }
  if (!(await hasEmailApi(o.instance.url))) {
    report.skip(STAGE, `${o.label}: no email API, so no email can be accepted`);
    return;
  }
  const sender = await sendingKey(o.instance);
  const port = smtps ? o.ports.smtps : o.ports.smtp;
  progress(STAGE, `${o.label}: ${CONNECTIONS} connections, ${smtps ? 'implicit TLS' : 'STARTTLS'} on port ${port}, ${o.seconds} s`);
  const cpuBefore = cpuSeconds(o.instance.server.pid);
  const out = await runToEnd({
    core: LOAD_CORE,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(ROOT, 'bench/stages/smtp-load.ts')],
    env: {
      BENCH_SMTP: JSON.stringify({
        host: '127.0.0.1',
        port,
        secure: smtps,
        token: sender.token,
        from: sender.from,
        connections: CONNECTIONS,
        warmupSeconds: 1,
        seconds: o.seconds,
      }),
    },
  });
  const cpuAfter = cpuSeconds(o.instance.server.pid);
  const r = JSON.parse(out.trim().split('\n').pop()!) as { sent: number; total: number; failed: number; perSec: number; firstError?: string };
  // Warm-up included on both sides (its connections' TLS handshakes too).
  const cpuPerMsg = cpuBefore !== undefined && cpuAfter !== undefined && r.total > 0 ? ((cpuAfter - cpuBefore) * 1e6) / r.total : undefined;
  const cpu = cpuPerMsg === undefined ? '' : `, ${fmt(cpuPerMsg)} µs server CPU/msg`;
  progress(STAGE, `${o.label}: ${fmt(r.perSec)} msg/s (${r.sent} accepted, ${r.failed} refused${cpu}${r.firstError ? `; first error: ${r.firstError}` : ''})`);
  report.add({
    stage: STAGE,
    metric: `SMTP submissions, ${CONNECTIONS} authenticated connections, ${smtps ? 'implicit TLS' : 'STARTTLS'}, ${o.label} (${sender.mode} key)`,
    value: `${fmt(r.perSec)} msg/s (${r.failed ? `${r.failed} refused` : 'none refused'}${cpu})`,
    budget: '>= 300 msg/s',
    verdict: verdict(r.perSec >= 300),
  });
}
