import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { registerApiDocs, registerRouteDocs } from '../http/plugins/api-docs.js';
import { registerAuth } from '../http/plugins/auth.js';
import { frameworkErrors, registerErrorHandling } from '../http/plugins/errors.js';
import { registerHttpMetrics } from '../http/plugins/metrics.js';
import { registerTextInputCheck } from '../http/plugins/text-input.js';
import { analyticsRoutes } from '../http/routes/analytics.js';
import { apiKeyRoutes } from '../http/routes/api-keys.js';
import { auditLogRoutes } from '../http/routes/audit-logs.js';
import { dashboardRoutes } from '../http/routes/dashboard/index.js';
import { domainRoutes } from '../http/routes/domains.js';
import { emailChangeRoutes } from '../http/routes/email-changes.js';
import { emailRoutes } from '../http/routes/emails.js';
import { logRoutes } from '../http/routes/logs.js';
import { metricsRoutes } from '../http/routes/metrics.js';
import { organizationRoutes } from '../http/routes/organization.js';
import { projectReadRoutes } from '../http/routes/projects.js';
import { suppressionRoutes } from '../http/routes/suppressions.js';
import { systemRoutes } from '../http/routes/system.js';
import { trackingRoutes } from '../http/routes/tracking.js';
import { webhookRoutes } from '../http/routes/webhooks.js';
import { templateRoutes } from '../http/routes/templates.js';
import { whoamiRoutes } from '../http/routes/whoami.js';
import { validationError } from '../lib/errors.js';
import type { Deps } from './deps.js';

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** `access`: what a dashboard route needs from the member's role (plugins/session.ts). */
export type RouteEntry = { method: string; url: string; auth: unknown; access?: unknown };

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared auth: the auth-matrix test walks this list. */
    routeCatalog: RouteEntry[];
  }
}

/** The Fastify instance with every route, never listening: `main` listens, tests use inject. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const requestLogging = ['debug', 'trace'].includes(deps.config.logLevel);
  const app: FastifyInstance = Fastify({
    // Fastify logs a line per request only at debug; otherwise it is given no logger at all, since
    // it would build a child logger for every request that nearly never writes. What the
    // application logs about a request goes through deps.logger with the request's id.
    ...(requestLogging ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false }),
    // Only the listed proxies may set the client address through X-Forwarded-For (right-most untrusted hop).
    trustProxy: deps.config.trustProxy.length > 0 ? [...deps.config.trustProxy] : false,
    bodyLimit: 1024 * 1024,
    // Path parameters up to 320 characters (an email address: GET /suppressions/{email}); Fastify's default is 100.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 320 },
    return503OnClosing: true,
    // A URL that cannot be decoded is answered before routing: in the catalogue's shape too.
    frameworkErrors,
  });

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by explicit presenters (never a raw row), so plain JSON is enough.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // JSON with an empty body is "no body" (the Resend SDK sends Content-Type on DELETE too).
  // JSON only: a text/plain body is 415, not a string handed to the validators.
  app.removeContentTypeParser('text/plain');
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    defaultJson(request, body as string, (error, parsed) => {
      // Fastify refuses prototype keys as "invalid JSON"; valid JSON refused for them is told as such.
      if (error && isJson(body as string)) return done(validationError('__proto__', 'the keys __proto__ and constructor.prototype are not accepted'), undefined);
      done(error, parsed);
    });
  });

  registerErrorHandling(app, deps.logger);
  registerTextInputCheck(app);

  app.decorate('routeCatalog', [] as RouteEntry[]);
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD' || route.schema?.hide) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) app.routeCatalog.push({ method, url: route.url, auth: route.config?.auth, access: route.config?.access });
  });
  // Before auth: its onRoute hook makes the API reference's routes public before auth demands it.
  registerRouteDocs(app);
  // onRequest: client address, per-IP concurrency, then authentication and plan rate.
  registerAuth(app, deps);
  registerHttpMetrics(app, deps);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Postgate API',
        version: '0.1.0',
        description: 'Self-hosted transactional email. Resend-compatible: point the resend SDK at this server with RESEND_BASE_URL.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'pgt_live_... / pgt_test_...' } } },
    },
    transform: jsonSchemaTransform,
  });
  await registerApiDocs(app);

  systemRoutes(app, deps);
  whoamiRoutes(app, deps);
  apiKeyRoutes(app, deps);
  domainRoutes(app, deps);
  emailRoutes(app, deps);
  emailChangeRoutes(app, deps);
  logRoutes(app, deps);
  metricsRoutes(app, deps);
  analyticsRoutes(app, deps);
  organizationRoutes(app, deps);
  auditLogRoutes(app, deps);
  projectReadRoutes(app, deps);
  suppressionRoutes(app, deps);
  webhookRoutes(app, deps);
  templateRoutes(app, deps);
  trackingRoutes(app, deps);
  await dashboardRoutes(app, deps);
  await app.ready();
  return app;
}
