import type { Cursor, ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import type { TemplateService } from '../templates/service.js';
import { getCapturedMessage, getEmail, listEmails, type EmailQueryDeps } from './queries.js';
import type { EmailObject, EmailSummary, SendBatchInput, SendEmailInput } from './schemas.js';
import { checkSender, type Sender } from './sending-rules.js';
import { sendEmail, sendEmailBatch, submitRawEmail, type EmailDeps, type RawSubmission, type SendOptions } from './service.js';

/** The email use cases of every edge (HTTP, the dashboard, SMTP), bound to their deps once (app/services.ts). */
export type EmailService = Readonly<{
  send(sender: Sender, input: SendEmailInput, options?: SendOptions): Promise<{ id: string }>;
  sendBatch(sender: Sender, inputs: SendBatchInput, options?: SendOptions): Promise<{ data: { id: string }[] }>;
  /** A message submitted over SMTP, with its envelope. */
  submitRaw(sender: Sender, submission: RawSubmission): Promise<{ id: string }>;
  /** The sending rules for one domain (SMTP checks MAIL FROM with it before DATA). */
  checkSender: (sender: Sender, domainName: string) => ReturnType<typeof checkSender>;
  list(actor: Actor, cursor: Cursor): Promise<ListPage<EmailSummary>>;
  get(actor: Actor, id: string): Promise<EmailObject>;
  captured(actor: Actor, id: string): Promise<Buffer>;
}>;

/** `templates`: sending with `template: {id, variables}` renders its published version. */
export function createEmailService(deps: EmailDeps & EmailQueryDeps & { templates: TemplateService }): EmailService {
  return {
    send: (sender, input, options) => sendEmail(deps, sender, input, options),
    sendBatch: (sender, inputs, options) => sendEmailBatch(deps, sender, inputs, options),
    submitRaw: (sender, submission) => submitRawEmail(deps, sender, submission),
    checkSender: (sender, domainName) => checkSender(deps.intake.sendingDomain, sender, domainName),
    list: (actor, cursor) => listEmails(deps, actor, cursor),
    get: (actor, id) => getEmail(deps, actor, id),
    captured: (actor, id) => getCapturedMessage(deps, actor, id),
  };
}
