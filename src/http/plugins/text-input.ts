import type { FastifyInstance } from 'fastify';
import { validationError } from '../../lib/errors.js';
import { badTextPath } from '../../lib/storable-text.js';

// Text PostgreSQL cannot store (lib/storable-text.ts), refused for every route: a NUL reached
// the database as a 500, logged with the statement's parameters. A 422 names the field, before
// any route or service sees the value.

export function registerTextInputCheck(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const field =
      badTextPath(request.params, 'params') ?? badTextPath(request.query, 'querystring') ?? badTextPath(request.body, '');
    done(field === undefined ? undefined : validationError(field, 'must not contain NUL (U+0000) or unpaired surrogates'));
  });
}
