import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { Webhook } from 'standardwebhooks';

// Stage 9's ceiling, a process of its own (pinned by the stage to Postgate's core): undici, the
// client Postgate's webhook worker uses, POSTing the stage's stored deliveries (their ids and the
// exact payload bytes) to the same receiver, each signed as Postgate signs (Standard Webhooks
// through the `standardwebhooks` package, the same six webhook-/svix- headers, content-type and
// user-agent), with as many requests in flight as Postgate allows one endpoint. The signer is
// made once, as the package's documentation shows. Prints one JSON line: the CPU it spent.

type Options = { url: string; secret: string; payloads: string; inFlight: number };

const o = JSON.parse(process.env.BENCH_CEILING!) as Options;
const deliveries = JSON.parse(readFileSync(o.payloads, 'utf8')) as { id: string; body: string }[];
const url = new URL(o.url);
const pool = new Pool(url.origin, { connections: o.inFlight });
const signer = new Webhook(o.secret);

function headers(id: string, body: string): Record<string, string> {
  const at = new Date();
  const signature = signer.sign(id, at, body);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    'content-type': 'application/json',
    'user-agent': 'Postgate-Webhooks/1.0',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': signature,
  };
}

const cpuBefore = process.cpuUsage();
let next = 0;
let failed = 0;
const sender = async (): Promise<void> => {
  while (next < deliveries.length) {
    const { id, body } = deliveries[next++]!;
    const response = await pool.request({ path: url.pathname, method: 'POST', headers: headers(id, body), body });
    // Read like Postgate reads a reply (it keeps an excerpt): the connection is then free again.
    await response.body.text();
    if (response.statusCode !== 200) failed++;
  }
};
await Promise.all(Array.from({ length: o.inFlight }, sender));
const cpu = process.cpuUsage(cpuBefore);
await pool.close();
process.stdout.write(`${JSON.stringify({ cpuUs: cpu.user + cpu.system, failed })}\n`);
