import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.js';
import { apiKeyObject } from '../../modules/api-keys/schemas.js';
import { principalOf } from '../plugins/auth.js';

const whoami = z.object({
  object: z.literal('whoami'),
  api_key: apiKeyObject,
  organization: z.object({ id: z.string(), name: z.string(), plan: z.string() }),
});

export function whoamiRoutes(app: FastifyInstance, deps: Deps): void {
  app.withTypeProvider<ZodTypeProvider>().get('/whoami', {
    // Any valid key may read itself, whatever its scopes: scripts use this to check a key.
    config: { auth: 'any_key' },
    schema: { tags: ['API keys'], summary: 'The calling key and its organization', response: { 200: whoami } },
    handler: async (req) => deps.services.apiKeys.describe(principalOf(req)),
  });
}
