import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';

// The ceiling: a bare Fastify route answering the same JSON body as Postgate's GET /whoami, with
// no authentication, no hooks and no logging. Everything Postgate adds is measured against it.
// Plain JavaScript run by node itself, as Postgate runs compiled (dist/): run through tsx's
// loader, on Node 24, this route cost 18.8 µs of CPU per request instead of 15.3, and 109,331
// instructions instead of 71,436 (on Node 20, about 2% more); bench/RESULTS.md.

// Stage 7 starts this server while Postgate is still starting (both under valgrind, where a start
// takes a minute): the body file may appear later, whole (written aside, then renamed).
const bodyFile = process.env.BENCH_BODY_FILE;
while (!existsSync(bodyFile)) await sleep(100);
const body = JSON.parse(readFileSync(bodyFile, 'utf8'));

const app = Fastify({ logger: false });
app.get('/whoami', async () => body);
const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
process.stdout.write(`bare listening ${url}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
