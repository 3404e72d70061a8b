import type { Deps } from '../app/deps.js';
import { emailDeps } from '../http/routes/emails.js';
import { validationError } from '../lib/errors.js';
import { domainOf, parseAddress } from '../modules/emails/address.js';
import { submitRawEmail } from '../modules/emails/service.js';
import { assertAllowed, checkSender } from '../modules/emails/sending-rules.js';
import type { SmtpServices } from './server.js';

/** The SMTP edge's view of the emails service: the same rules and the same acceptance as HTTP. */
export function smtpServices(deps: Deps): SmtpServices {
  const emails = emailDeps(deps);
  return {
    submit: (principal, message) => submitRawEmail(emails, principal, message),
    checkSender: async (principal, address) => {
      const parsed = parseAddress(address);
      if (!parsed) throw validationError('mail_from', `${JSON.stringify(address)} is not a valid sender address`);
      assertAllowed(await checkSender(emails.intake.sendingDomain, principal, domainOf(parsed)), 'mail_from');
    },
  };
}
