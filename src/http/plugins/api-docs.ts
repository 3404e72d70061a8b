import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../../lib/errors.js';

// The API reference: every route's OpenAPI operation says which scope it needs and which
// catalogue codes it can answer, and GET /docs renders the document (Swagger UI, served from
// the package's own files: nothing is loaded from elsewhere).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Codes this route answers beyond those its auth, parameters and body imply (listed in /docs). */
    errorCodes?: readonly ErrorCode[];
  }
}

export const DOCS_PREFIX = '/docs';

/** Marks the contexts the API reference registers its routes in (decorators stay inside their context). */
const SERVES_DOCS = 'servesApiDocs';

/**
 * Must be registered before plugins/auth.ts: onRoute hooks run in the order they were added, and
 * the auth hook refuses any route without `config.auth`. Swagger UI's routes (registered inside
 * the docs context only) are made public here; every documented route gets its scope and codes.
 */
export function registerRouteDocs(app: FastifyInstance): void {
  app.addHook('onRoute', function (this: FastifyInstance, route) {
    if (this.hasDecorator(SERVES_DOCS)) route.config = { ...route.config, auth: 'public' };
    if (route.schema?.hide) return;
    documentRoute(route);
  });
}

/** GET /docs (Swagger UI) and /docs/json: after @fastify/swagger, whose document it shows. */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    docs.decorate(SERVES_DOCS, true);
    await docs.register(fastifySwaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: { deepLinking: true, docExpansion: 'list' },
      // Security: Swagger UI's own files only, no inline script beyond the hashes it ships. Its
      // policy's upgrade-insecure-requests is dropped: over plain HTTP (the default, on
      // 127.0.0.1) it would send the page's own scripts to an https:// that is not there.
      staticCSP: true,
      transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    });
  });
}

const KEY_AUTH: readonly ErrorCode[] = ['missing_api_key', 'invalid_api_key', 'ip_not_allowed', 'too_many_auth_failures', 'rate_limit_exceeded'];
const BODY: readonly ErrorCode[] = ['invalid_json', 'unsupported_media_type', 'payload_too_large', 'validation_error'];

/** The catalogue codes a route can answer, from what it declares: auth, parameters, body. */
function errorCodesOf(route: RouteOptions): ErrorCode[] {
  const auth = route.config?.auth;
  const schema = route.schema ?? {};
  const codes: ErrorCode[] = [];
  if (auth !== 'public') codes.push('concurrency_limit_exceeded');
  if (auth === 'any_key' || typeof auth === 'object') codes.push(...KEY_AUTH);
  if (typeof auth === 'object') codes.push('insufficient_scope');
  if (auth === 'session') codes.push('session_required', 'csrf_rejected');
  if (schema.body) codes.push(...BODY);
  else if (schema.querystring || schema.params) codes.push('validation_error');
  if (route.url.includes('/:')) codes.push('not_found');
  codes.push(...(route.config?.errorCodes ?? []));
  return [...new Set(codes)].sort((a, b) => ERROR_CATALOGUE[a].http - ERROR_CATALOGUE[b].http);
}

function documentRoute(route: RouteOptions): void {
  const auth = route.config?.auth;
  const scope = typeof auth === 'object' ? auth.scope : auth === 'any_key' ? 'any valid key' : undefined;
  const codes = errorCodesOf(route);
  const lines = [
    route.schema?.description,
    scope && `**Scope:** \`${scope}\``,
    codes.length > 0 && `**Errors:** ${codes.map((code) => `\`${code}\` (${ERROR_CATALOGUE[code].http})`).join(', ')}. See docs/errors.md.`,
  ].filter(Boolean);
  // OpenAPI extensions (x-...) pass through @fastify/swagger to each operation as they are.
  const extensions: Record<string, unknown> = { 'x-error-codes': codes, ...(scope ? { 'x-scope': scope } : {}) };
  route.schema = { ...route.schema, ...(lines.length > 0 ? { description: lines.join('\n\n') } : {}), ...extensions };
}
