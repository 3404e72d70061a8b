import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PACKAGE_ROOT } from '../../../lib/package-root.js';

/** Where `vite build` writes the React app (dashboard/vite.config.ts). */
export const DASHBOARD_DIST = path.join(PACKAGE_ROOT, 'dashboard/dist');

// The dashboard is a single page with hash routes (/#/domains), so the server needs only the
// page and its hashed assets: no catch-all that could shadow an API route such as /domains.
// Security: the page may load nothing from elsewhere, run no inline script, and not be framed.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Chart and layout code sets style attributes; styles cannot run code.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Postgate</title>
<p>The dashboard has not been built yet. It is built by <code>npm install</code> (the prepare script)
and by <code>postgate start</code> when its build is missing; run <code>npm run build:dashboard</code>
to build it now.</p>`;

const publicRoute = (): { config: { auth: 'public' }; schema: { hide: true } } => ({ config: { auth: 'public' }, schema: { hide: true } });

export async function dashboardAppRoutes(scope: FastifyInstance, dist: string = DASHBOARD_DIST): Promise<void> {
  // serve: false: only reply.sendFile, no wildcard route of the plugin's own.
  await scope.register(fastifyStatic, { root: dist, serve: false });

  scope.get('/', publicRoute(), async (_request, reply) => {
    pageHeaders(reply);
    // Checked per request: a build finishing after start-up is served without a restart.
    if (!existsSync(path.join(dist, 'index.html'))) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', dist, { cacheControl: false });
  });

  scope.get('/assets/*', publicRoute(), async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    const file = (request.params as { '*': string })['*'];
    // File names carry a content hash, so they never change: cache them for a year.
    return reply.sendFile(`assets/${file}`, dist, { immutable: true, maxAge: '365d' });
  });
}

function pageHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CSP);
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
}
