import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Invalidation } from '../modules/api-keys/invalidation.js';
import type { KeyCache } from '../modules/api-keys/key-cache.js';
import { createAnalyticsService, type AnalyticsService } from '../modules/analytics/service.js';
import { createApiKeyService, type ApiKeyService } from '../modules/api-keys/service.js';
import { loadSecretKey } from '../modules/accounts/secret-key.js';
import { createSecretBox } from '../modules/accounts/secret-box.js';
import { createTwoFactorService, type TwoFactorService } from '../modules/accounts/two-factor-service.js';
import { createTeamService, type TeamService } from '../modules/team/service.js';
import type { Logger } from 'pino';
import type { UsageRecorder } from '../modules/api-keys/usage-recorder.js';
import { createAuditService, type AuditService } from '../modules/audit/service.js';
import { createDomainService, type DomainService } from '../modules/domains/service.js';
import { createEmailChangeService, type EmailChangeService } from '../modules/emails/changes.js';
import { createEmailService, type EmailService } from '../modules/emails/email-service.js';
import type { Intake } from '../modules/emails/group-commit.js';
import { createProjectService, type ProjectService } from '../modules/projects/service.js';
import type { Wakeup } from '../modules/queue/wakeup.js';
import { createRequestLogQueries, type RequestLogQueries } from '../modules/request-log/queries.js';
import { createSuppressionService, type SuppressionService } from '../modules/suppressions/service.js';
import { createTemplateService, type TemplateService } from '../modules/templates/service.js';
import { createTrackingService, type TrackingService } from '../modules/tracking/service.js';
import { createWebhookEventLog, type WebhookEventLog } from '../modules/webhooks/event-log.js';
import { createWebhookService, type WebhookService } from '../modules/webhooks/service.js';
import type { SecretBox } from '../modules/accounts/secret-box.js';

// The use cases every edge calls (HTTP routes, the dashboard, SMTP, the CLI, tests), each built
// once here from the deps it needs. Edges never assemble a service's deps themselves.

export type Services = Readonly<{
  apiKeys: ApiKeyService;
  domains: DomainService;
  emails: EmailService;
  /** Reschedule, cancel, attachments of accepted emails. */
  emailChanges: EmailChangeService;
  /** The API request log (GET /logs); written by deps.requestLog. */
  requestLogs: RequestLogQueries;
  analytics: AnalyticsService;
  audit: AuditService;
  projects: ProjectService;
  /** Members, roles and invitations (the dashboard's team page). */
  team: TeamService;
  /** TOTP two-factor set-up and the sign-in's second step. */
  twoFactor: TwoFactorService;
  /** Addresses never sent to (GET/POST /suppressions; bounces and complaints add them). */
  suppressions: SuppressionService;
  /** Webhook endpoints (Resend's /webhooks). */
  webhooks: WebhookService;
  /** Each endpoint's event log: events, attempts, replay. */
  webhookEvents: WebhookEventLog;
  /** The install's secret box (sealed secrets, signed links), built once. */
  box: SecretBox;
  /** Resend's templates: drafts, published versions, rendering. */
  templates: TemplateService;
  /** Open and click tracking: the HTML rewrite at delivery, and the /t/o and /t/c routes. */
  tracking: TrackingService;
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
  /** Where services report what they cannot return (a failed invitation email). */
  logger?: Logger;
}>;

export function createServices(inputs: ServiceInputs): Services {
  const db = inputs.database.db;
  // The install's key is read (or generated into the data dir) on first use only.
  const box = createSecretBox(() => loadSecretKey(inputs.config));
  const templates = createTemplateService({ db, clock: inputs.clock });
  const emails = createEmailService({ db, clock: inputs.clock, queue: inputs.queue, intake: inputs.intake, templates });
  const webhooks = createWebhookService({ db, clock: inputs.clock, box, policy: inputs.config.webhookPolicy });
  return {
    apiKeys: createApiKeyService({
      db,
      keyCache: inputs.keyCache,
      clock: inputs.clock,
      maxKeysPerOrg: inputs.config.maxKeysPerOrg,
      staleKeyDays: inputs.config.staleKeyDays,
      invalidation: inputs.invalidation,
      usage: inputs.usage,
    }),
    domains: createDomainService({ db, clock: inputs.clock, dnsServers: inputs.config.dnsServers, publicUrl: inputs.config.publicUrl }),
    emails,
    emailChanges: createEmailChangeService({ db, clock: inputs.clock, queue: inputs.queue, box, publicUrl: inputs.config.publicUrl }),
    requestLogs: createRequestLogQueries({ db }),
    analytics: createAnalyticsService({ db, clock: inputs.clock, limits: inputs.config }),
    audit: createAuditService({ db, clock: inputs.clock }),
    projects: createProjectService({ db, clock: inputs.clock }),
    team: createTeamService({
      db,
      clock: inputs.clock,
      logger: inputs.logger,
      publicUrl: inputs.config.publicUrl,
      invitationTtlMs: inputs.config.invitationTtlMs,
      emails,
    }),
    twoFactor: createTwoFactorService({ db, clock: inputs.clock, box }),
    suppressions: createSuppressionService({ db, clock: inputs.clock }),
    webhooks,
    webhookEvents: createWebhookEventLog({ db, clock: inputs.clock, webhooks }),
    box,
    templates,
    tracking: createTrackingService({ db, clock: inputs.clock, box, publicUrl: inputs.config.publicUrl }),
  };
}
