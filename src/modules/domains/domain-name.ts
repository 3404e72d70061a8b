import { isIP } from 'node:net';
import { validationError } from '../../lib/errors.js';

// A sending domain is a DNS host name: letters, digits and hyphens in labels of 1 to 63
// characters, at least two labels, 253 characters in all. Underscores are valid in DNS but never
// in a host name, so `_dmarc.example.com` is refused; internationalised names come as punycode.

/** One label of a host name, lowercase (RFC 1123 2.1). */
export const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The canonical form of a domain name (lowercase, no trailing dot), or a 422 naming `field`. */
export function normaliseDomainName(input: string, field = 'name'): string {
  const name = input.trim().toLowerCase().replace(/\.$/, '');
  if (name.length === 0) throw validationError(field, 'a domain name is required');
  // Security: an IP literal would make Postgate sign and send "from" an address nobody proved.
  if (isIP(name) !== 0 || isIP(name.replace(/^\[|\]$/g, '')) !== 0) {
    throw validationError(field, 'must be a domain name, not an IP address');
  }
  if (name.length > 253) throw validationError(field, 'must be at most 253 characters');
  if (/[^\x00-\x7f]/.test(name)) {
    throw validationError(field, 'must be ASCII: give an internationalised name in its punycode (xn--) form');
  }
  const labels = name.split('.');
  if (labels.length < 2) throw validationError(field, 'must have at least two labels (example.com)');
  for (const label of labels) {
    if (label.length === 0) throw validationError(field, 'has an empty label');
    if (label.length > 63) throw validationError(field, `label "${label.slice(0, 20)}..." is longer than 63 characters`);
    if (label.includes('_')) throw validationError(field, 'must not contain underscores');
    if (!HOST_LABEL.test(label)) {
      throw validationError(field, `label ${JSON.stringify(label)} may hold only letters, digits and inner hyphens`);
    }
  }
  // No top-level domain is all digits; this also refuses IPv4 forms isIP misses (1.2.3, 010.1.1.1).
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    throw validationError(field, 'must end in a top-level domain, not a number');
  }
  return name;
}
