import { readFileSync } from 'node:fs';
import { apiKey } from '@better-auth/api-key';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import Fastify from 'fastify';
import pg from 'pg';

// The peer: the same authenticated GET /whoami, with the key checked by better-auth's API key
// plugin (what a TypeScript team would pick instead of Postgate). Its defaults everywhere, on the
// same PostgreSQL, except its rate limit, turned off: its default of 10 requests per day per key
// would refuse nearly every request of the run. Bench-only: nothing in src/ depends on it.

const databaseUrl = process.env.BENCH_DATABASE_URL!;
const body = JSON.parse(readFileSync(process.env.BENCH_BODY_FILE!, 'utf8')) as Record<string, unknown>;

const options = {
  database: new pg.Pool({ connectionString: databaseUrl }),
  secret: 'postgate-bench-only-secret-0123456789abcdef',
  baseURL: 'http://127.0.0.1',
  telemetry: { enabled: false },
  rateLimit: { enabled: false },
  plugins: [apiKey({ rateLimit: { enabled: false } })],
};
// Its own migrations (`auth migrate`), before the instance checks the schema.
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);

const context = await auth.$context;
const user = await context.internalAdapter.createUser(
  { email: `bench-${Date.now()}@example.com`, name: 'bench', emailVerified: true },
  { method: 'admin' },
);
const created = await auth.api.createApiKey({ body: { userId: user.id, name: 'bench' } });

const BEARER = /^Bearer[ ]+(\S+)$/i;
const app = Fastify({ logger: false });
app.get('/whoami', async (request, reply) => {
  const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
  const result = key ? await auth.api.verifyApiKey({ body: { key } }) : undefined;
  if (!result?.valid) return reply.code(401).send({ statusCode: 401, name: 'invalid_api_key', message: 'Invalid API key' });
  return body;
});
const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ token: created.key })}\n`);
process.stdout.write(`better-auth listening ${url}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
