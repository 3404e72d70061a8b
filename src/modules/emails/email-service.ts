import type { Cursor, ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import { getCapturedMessage, getEmail, listEmails, type EmailQueryDeps } from './queries.js';
import { submitRawEmail, type RawSubmission } from './raw-submission.js';
import type { CreatedBatch, EmailObject, EmailSummary, SendBatchInput, SendEmailInput } from './schemas.js';
import { checkSender, type Sender } from './sending-rules.js';
import { sendEmail, sendEmailBatch, sendEmailBatchPermissive, type EmailDeps, type SendOptions } from './service.js';

/** The email use cases of every edge (HTTP, the dashboard, SMTP), bound to their deps once (app/services.ts). */
export type EmailService = Readonly<{
  send(sender: Sender, input: SendEmailInput, options?: SendOptions): Promise<{ id: string }>;
  /** Strict batch validation: all accepted, or none. */
  sendBatch(sender: Sender, inputs: SendBatchInput, options?: SendOptions): Promise<CreatedBatch>;
  /** Permissive batch validation: `items` as sent, each checked alone; the valid ones accepted, the others in `errors`. */
  sendBatchPermissive(sender: Sender, items: readonly unknown[], options?: SendOptions): Promise<Required<CreatedBatch>>;
  /** A message submitted over SMTP, with its envelope. */
  submitRaw(sender: Sender, submission: RawSubmission): Promise<{ id: string }>;
  /** The sending rules for one domain (SMTP checks MAIL FROM with it before DATA). */
  checkSender: (sender: Sender, domainName: string) => ReturnType<typeof checkSender>;
  list(actor: Actor, cursor: Cursor): Promise<ListPage<EmailSummary>>;
  get(actor: Actor, id: string): Promise<EmailObject>;
  captured(actor: Actor, id: string): Promise<Buffer>;
}>;

/** `templates`: sending with `template: {id, variables}` renders its published version. */
export function createEmailService(deps: EmailDeps & EmailQueryDeps): EmailService {
  return {
    send: (sender, input, options) => sendEmail(deps, sender, input, options),
    sendBatch: (sender, inputs, options) => sendEmailBatch(deps, sender, inputs, options),
    sendBatchPermissive: (sender, items, options) => sendEmailBatchPermissive(deps, sender, items, options),
    submitRaw: (sender, submission) => submitRawEmail(deps, sender, submission),
    checkSender: (sender, domainName) => checkSender(deps.intake.sendingDomain, sender, domainName),
    list: (actor, cursor) => listEmails(deps, actor, cursor),
    get: (actor, id) => getEmail(deps, actor, id),
    captured: (actor, id) => getCapturedMessage(deps, actor, id),
  };
}
