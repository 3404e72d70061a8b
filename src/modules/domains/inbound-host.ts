import { isIP } from 'node:net';
import { hostname } from 'node:os';

/**
 * The host a domain's MX record (its `Receiving` record) points at: the host of
 * POSTGATE_PUBLIC_URL, where Postgate's inbound SMTP will listen. An MX names a host, never an
 * address (RFC 1035 3.3.9: its exchange is a domain name), so when that URL holds an IP address
 * (its default is http://HOST:PORT, 127.0.0.1 unless set) or is not known, this machine's name is
 * shown, the name an MTA such as Postfix uses by default too. docs/domains.md tells operators to
 * set POSTGATE_PUBLIC_URL to a name.
 */
export function inboundMxHost(publicUrl: string | undefined): string {
  const host = publicUrl === undefined ? undefined : hostOf(publicUrl);
  if (host === undefined || isIP(host.replace(/^\[|\]$/g, '')) !== 0) return hostname().toLowerCase();
  return host;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}
