import { decodeWords, type Email } from 'postal-mime';
import { validationError } from '../../lib/errors.js';
import type { SendingDomain } from '../domains/service.js';
import type { NewEmail } from './accept.js';
import { formatMailbox } from './address.js';
import { newEmailOf } from './build-email.js';
import { blindCopies, mailboxesOf } from './raw-message.js';
import { templateInput, type SendEmailInput, type TemplateInput } from './schemas.js';
import { contextFor, type EmailDeps } from './service.js';
import type { Sender } from './sending-rules.js';

// An SMTP submission naming a template: `X-Postgate-Template: <id or alias>` and, optionally,
// `X-Postgate-Variables: <JSON object>`. The message then only addresses the email: its From,
// To, Cc, Reply-To and Subject headers are read (From, Reply-To and a blank or absent Subject
// default to the template's), its body and every other header are ignored, and the email is
// built as a JSON send with `template` is (build-email.ts): the same rendering, the same sending
// rules on the From domain, composed the same way at delivery. So neither header is delivered.
// The recipients are the envelope's, as for any submission. Both headers are read unfolded and
// with RFC 2047 encoded words decoded: clients such as nodemailer encode a value holding quotes.

const TEMPLATE_HEADER = 'x-postgate-template';
const VARIABLES_HEADER = 'x-postgate-variables';
const TEMPLATE_FIELD = 'X-Postgate-Template';
const VARIABLES_FIELD = 'X-Postgate-Variables';

/** The template a message names, if any; a malformed or repeated header is a 550 naming it. */
export function templateHeaders(parsed: Email): TemplateInput | undefined {
  const named = parsed.headers.filter((h) => h.key === TEMPLATE_HEADER);
  const given = parsed.headers.filter((h) => h.key === VARIABLES_HEADER);
  if (named.length === 0) {
    // Refused rather than delivered: a mistyped template header would send the variables as they are.
    if (given.length > 0) throw validationError(VARIABLES_FIELD, `is given without ${TEMPLATE_FIELD}`);
    return undefined;
  }
  if (named.length > 1) throw validationError(TEMPLATE_FIELD, 'may be given once');
  if (given.length > 1) throw validationError(VARIABLES_FIELD, 'may be given once');
  const checked = templateInput.safeParse({ id: decodeWords(named[0]!.value).trim(), variables: given[0] && variablesOf(decodeWords(given[0].value)) });
  if (checked.success) return checked.data;
  if (checked.error.issues[0]?.path[0] === 'id') throw validationError(TEMPLATE_FIELD, 'must name a template: its id or alias, 1 to 64 characters');
  throw validationError(VARIABLES_FIELD, 'must be a JSON object whose values are strings or numbers');
}

function variablesOf(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw validationError(VARIABLES_FIELD, 'is not JSON: give an object such as {"NAME": "Ann", "TOTAL": 10.5}');
  }
}

export type TemplatedSubmission = Readonly<{
  parsed: Email;
  template: TemplateInput;
  /** The From header's one mailbox, or undefined for the template's. */
  from: string | undefined;
  mailFrom: string;
  recipients: string[];
  domains: Map<string, SendingDomain | undefined>;
}>;

export async function submitWithTemplate(deps: EmailDeps, sender: Sender, submission: TemplatedSubmission): Promise<NewEmail> {
  const { parsed, template, mailFrom, recipients } = submission;
  const to = mailboxesOf(parsed.to);
  const cc = mailboxesOf(parsed.cc);
  const replyTo = mailboxesOf(parsed.replyTo);
  if (to.length === 0) throw validationError('To', 'a message naming a template needs a To header');
  const input: SendEmailInput = {
    from: submission.from,
    to: to.map(formatMailbox),
    cc: cc.map(formatMailbox),
    reply_to: replyTo.length > 0 ? replyTo.map(formatMailbox) : undefined,
    subject: parsed.subject?.trim() ? parsed.subject : undefined,
    template,
  };
  const context = { ...contextFor(deps, sender, ''), domains: submission.domains, variablesField: VARIABLES_FIELD, templateField: TEMPLATE_FIELD };
  const email = await newEmailOf(deps, sender, input, context);
  const bccAddresses = blindCopies(recipients, [...to, ...cc]);
  return { ...email, row: { ...email.row, source: 'smtp', envelopeFrom: mailFrom, recipients, bccAddresses } };
}
