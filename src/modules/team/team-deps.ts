import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import type { EmailService } from '../emails/email-service.js';

/** What the team use cases need: the database, time, where links point, and mail for invitations. */
export type TeamDeps = Readonly<{
  db: Db;
  clock: Clock;
  /** Where a failed invitation email is reported (never with its link); absent: not reported. */
  logger?: Pick<Logger, 'warn'> | undefined;
  /** The base URL invitation links point to (config.publicUrl). */
  publicUrl: string;
  invitationTtlMs: number;
  /** Invitations are mailed through Postgate itself when the organization has a verified domain. */
  emails: Pick<EmailService, 'send'>;
}>;
