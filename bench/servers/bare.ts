import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

// The ceiling: a bare Fastify route answering the same JSON body as Postgate's GET /whoami, with
// no authentication, no hooks and no logging. Everything Postgate adds is measured against it.

const body = JSON.parse(readFileSync(process.env.BENCH_BODY_FILE!, 'utf8')) as Record<string, unknown>;

const app = Fastify({ logger: false });
app.get('/whoami', async () => body);
const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
process.stdout.write(`bare listening ${url}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
