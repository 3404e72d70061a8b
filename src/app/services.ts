import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Invalidation } from '../modules/api-keys/invalidation.js';
import type { KeyCache } from '../modules/api-keys/key-cache.js';
import { createApiKeyService, type ApiKeyService } from '../modules/api-keys/service.js';
import type { UsageRecorder } from '../modules/api-keys/usage-recorder.js';
import { createDomainService, type DomainService } from '../modules/domains/service.js';
import { createEmailService, type EmailService } from '../modules/emails/email-service.js';
import type { Intake } from '../modules/emails/group-commit.js';
import type { Wakeup } from '../modules/queue/wakeup.js';

// The use cases every edge calls (HTTP routes, the dashboard, SMTP, the CLI, tests), each built
// once here from the deps it needs. Edges never assemble a service's deps themselves.

export type Services = Readonly<{
  apiKeys: ApiKeyService;
  domains: DomainService;
  emails: EmailService;
}>;

export type ServiceInputs = Readonly<{
  config: Config;
  clock: Clock;
  database: Database;
  keyCache: KeyCache;
  invalidation: Invalidation;
  usage: UsageRecorder;
  queue: Wakeup;
  intake: Intake;
}>;

export function createServices(inputs: ServiceInputs): Services {
  const db = inputs.database.db;
  return {
    apiKeys: createApiKeyService({
      db,
      keyCache: inputs.keyCache,
      clock: inputs.clock,
      maxKeysPerOrg: inputs.config.maxKeysPerOrg,
      invalidation: inputs.invalidation,
      usage: inputs.usage,
    }),
    domains: createDomainService({ db, clock: inputs.clock, dnsServers: inputs.config.dnsServers }),
    emails: createEmailService({ db, clock: inputs.clock, queue: inputs.queue, intake: inputs.intake }),
  };
}
