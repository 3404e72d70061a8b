import { newId } from '../../lib/ids.js';
import type { SendingDomain } from '../domains/service.js';
import type { AcceptDeps, NewEmail } from './accept.js';
import { domainOf, formatMailbox } from './address.js';
import { compositionOf } from './compose.js';
import { fieldIn, prepareEmail, type PreparedEmail } from './prepare.js';
import type { SendEmailInput } from './schemas.js';
import { assertAllowed, checkSender, type Sender } from './sending-rules.js';
import { withTemplate, type TemplateLoader } from './with-template.js';

// From one JSON email (or an SMTP submission naming a template) to the email to store: the
// template rendered, the fields prepared, the sending rules applied to the From domain, the row
// and what composing it at delivery needs. Every error names the field as the request wrote it.

/** What the emails of one request share: the time, the domains and templates already looked up. */
export type BuildContext = Readonly<{
  /** `[3]` for the fourth email of a batch, '' for one email. */
  prefix: string;
  now: Date;
  domains: Map<string, SendingDomain | undefined>;
  templates: TemplateLoader;
  /** Where the template's variables came from, as errors name it; `template.variables` by default. */
  variablesField?: string;
  /** Where the template was named, when not `template.id` (an SMTP header). */
  templateField?: string;
}>;

/** One email, validated then built: its template rendered, its fields prepared, the sending rules applied. */
export async function newEmailOf(deps: AcceptDeps, sender: Sender, input: SendEmailInput, context: BuildContext): Promise<NewEmail> {
  return buildEmail(deps, sender, await preparedWithTemplate(input, context), { field: fieldIn(context.prefix, 'from'), domains: context.domains });
}

/**
 * The email's fields, checked, with its template rendered; no sending rule yet, so a batch can
 * check every email's fields before any domain (a 422 names the email at fault before a 403).
 */
export async function preparedWithTemplate(input: SendEmailInput, context: BuildContext): Promise<PreparedEmail> {
  const field = (name: string): string => fieldIn(context.prefix, name);
  // Without a template, no await here: the plain send is the hot path.
  const template = input.template ? await withTemplate(input.template, input, { load: context.templates, field, variablesField: context.variablesField, templateField: context.templateField }) : undefined;
  return prepareEmail(input, { prefix: context.prefix, now: context.now, template });
}

export async function buildEmail(
  deps: AcceptDeps,
  sender: Sender,
  email: PreparedEmail,
  context: { field: string; domains: Map<string, SendingDomain | undefined> },
): Promise<NewEmail> {
  const fromDomain = domainOf(email.from.address);
  const domain = assertAllowed(await checkSender(deps.intake.sendingDomain, sender, fromDomain, context.domains), context.field);
  const now = deps.clock.now();
  const id = newId('email', now.getTime());
  const messageId = `<${id}@${fromDomain}>`;
  const future = email.scheduledAt && email.scheduledAt > now ? email.scheduledAt : undefined;
  return {
    row: emailRow(sender, id, now, domain, {
      source: sender.system ? 'system' : 'api',
      fromAddress: formatMailbox(email.from),
      toAddresses: email.to.map(formatMailbox),
      ccAddresses: email.cc.map(formatMailbox),
      bccAddresses: email.bcc.map(formatMailbox),
      replyTo: email.replyTo.map(formatMailbox),
      subject: email.subject,
      html: email.html ?? null,
      text: email.text ?? null,
      tags: email.tags,
      messageId,
      envelopeFrom: email.from.address,
      recipients: unique([...email.to, ...email.cc, ...email.bcc].map((m) => m.address)),
      // A time already come is no schedule: due now (not ahead of others' due mail), and `email.sent`, not `email.scheduled`.
      scheduledAt: future ?? null,
      templateId: email.template?.id ?? null,
      templateVariables: email.template?.variables ?? null,
      topicId: email.topicId ?? null,
    }),
    // Composed by the worker at delivery (compose.ts).
    message: { composition: compositionOf(email, future ?? now) },
  };
}

type EmailRow = NewEmail['row'];

/** An email's row: who sends it, from which domain and when, then what the edge parsed. */
export function emailRow(
  sender: Sender,
  id: string,
  now: Date,
  domain: SendingDomain | undefined,
  fields: Omit<EmailRow, 'id' | 'organizationId' | 'projectId' | 'apiKeyId' | 'domainId' | 'mode' | 'createdAt'>,
): EmailRow {
  // The spread goes last: on Node 20 (V8 11.3), each property written after a leading spread
  // made a new hidden class for every object, about 40 µs per email row.
  return {
    id,
    organizationId: sender.organizationId,
    projectId: sender.projectId,
    apiKeyId: sender.keyId ?? null,
    domainId: domain?.id ?? null,
    mode: sender.mode,
    createdAt: now,
    ...fields,
  };
}

/** Case-insensitively unique, first spelling kept. */
export function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
