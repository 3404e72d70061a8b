import type { Deps } from '../app/deps.js';
import { validationError } from '../lib/errors.js';
import { domainOf, parseAddress } from '../modules/emails/address.js';
import { assertAllowed } from '../modules/emails/sending-rules.js';
import type { SmtpServices } from './server.js';

/** The SMTP edge's view of the emails service: the same rules and the same acceptance as HTTP. */
export function smtpServices(deps: Deps): SmtpServices {
  const emails = deps.services.emails;
  return {
    submit: (principal, message) => emails.submitRaw(principal, message),
    checkSender: async (principal, address) => {
      const parsed = parseAddress(address);
      if (!parsed) throw validationError('mail_from', `${JSON.stringify(address)} is not a valid sender address`);
      assertAllowed(await emails.checkSender(principal, domainOf(parsed)), 'mail_from');
    },
  };
}
