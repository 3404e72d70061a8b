import ipaddr from 'ipaddr.js';
import { parseIp, parseIpList, type IpAddress, type IpRange } from '../../lib/ip.js';

// Which addresses a webhook delivery may reach (SSRF). A webhook URL is chosen by a user, and
// Postgate dials it from inside the operator's network: without this check an endpoint could
// read the cloud metadata service (169.254.169.254), an admin port on 127.0.0.1 or any host on
// the private network. Only public unicast addresses pass, plus what the operator lists in
// POSTGATE_WEBHOOK_ALLOW_CIDRS. The address is checked where it is dialled (http-client.ts),
// after DNS, so a name that resolves to a public address at create time and to 127.0.0.1 later
// (DNS rebinding) is still refused.

export type WebhookNetworkPolicy = Readonly<{
  /** POSTGATE_WEBHOOK_ALLOW_HTTP: plain http endpoints accepted (https only otherwise). */
  allowHttp: boolean;
  /** POSTGATE_WEBHOOK_ALLOW_CIDRS: ranges reachable even though they are not public. */
  allowCidrs: readonly IpRange[];
}>;

export type EndpointCheck = { ok: true; url: URL } | { ok: false; message: string };

export const MAX_ENDPOINT_URL_LENGTH = 2048;

/**
 * Parses `127.0.0.1/32,::1/128` (a bare address means a single host); blank entries are
 * skipped, as in every comma list of the configuration. Throws on the first bad entry.
 */
export function parseAllowCidrs(text: string | undefined): readonly IpRange[] {
  const entries = (text ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  const parsed = parseIpList(entries);
  if (!parsed.ok) {
    throw new Error(`POSTGATE_WEBHOOK_ALLOW_CIDRS entry ${JSON.stringify(parsed.entry)} ${parsed.reason}`);
  }
  return Object.freeze(parsed.ranges);
}

// Every IPv6 global unicast address IANA has allocated lies in 2000::/3. Requiring it on top of
// ipaddr.js's ranges refuses what its table leaves as "unicast" but is not reachable on the
// internet, such as the deprecated IPv4-compatible ::a.b.c.d (::/96), which some stacks route
// to the embedded IPv4 address (::7f00:1 would be 127.0.0.1).
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parse('2000::');

/**
 * True when a webhook may dial `address`: a public unicast address, or one inside the
 * operator's allow-list. Anything that does not parse strictly (zone ids, octal forms) is
 * refused: fail closed. IPv4-mapped IPv6 is judged as the IPv4 address it carries, because
 * that is where a dual-stack socket sends the packets. NAT64 (64:ff9b::/96, 64:ff9b:1::/48),
 * 6to4 (2002::/16) and Teredo (2001::/32) are refused, each being a way to smuggle an IPv4
 * destination (possibly a private one) inside a public-looking IPv6 address.
 */
export function isAddressAllowed(address: string, policy: WebhookNetworkPolicy): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  if (inAllowList(ip, policy.allowCidrs)) return true;
  return isPublicUnicast(ip);
}

function isPublicUnicast(ip: IpAddress): boolean {
  if (ip.range() !== 'unicast') return false;
  return ip.kind() === 'ipv4' || ip.match(IPV6_GLOBAL_UNICAST, 3);
}

// Not lib/ip.ts ipAllowed: there an empty list means "no restriction", here it means "nothing
// beyond the public internet".
function inAllowList(ip: IpAddress, ranges: readonly IpRange[]): boolean {
  const kind = ip.kind();
  return ranges.some((range) => range.address.kind() === kind && ip.match(range.address, range.prefixLength));
}

/**
 * Checks an endpoint URL when a webhook is created or updated. Names are not resolved here:
 * what a name resolves to today says nothing about delivery time, so names are judged when
 * dialled. An IP literal can be judged now, and refusing it early gives the user a clear 422.
 */
export function checkEndpointUrl(url: string, policy: WebhookNetworkPolicy): EndpointCheck {
  const shape = checkUrlShape(url, policy);
  if (!shape.ok) return shape;
  const literal = ipLiteralOf(shape.url);
  if (literal !== undefined && !isAddressAllowed(literal, policy)) {
    return { ok: false, message: `must not point to ${literal}: only public internet addresses are allowed` };
  }
  return shape;
}

/**
 * The checks that need no address: scheme, credentials, length, host. The HTTP client repeats
 * them at delivery time, since the policy may have been tightened since the endpoint was saved.
 */
export function checkUrlShape(url: string, policy: WebhookNetworkPolicy): EndpointCheck {
  if (url.length > MAX_ENDPOINT_URL_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_ENDPOINT_URL_LENGTH} characters` };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, message: 'must be an absolute URL' };
  }
  const https = parsed.protocol === 'https:';
  if (!https && !(policy.allowHttp && parsed.protocol === 'http:')) {
    return { ok: false, message: policy.allowHttp ? 'must be an https or http URL' : 'must be an https URL' };
  }
  // Credentials would be stored and shown wherever the endpoint is, and sent on every request.
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, message: 'must not contain a username or password' };
  }
  if (parsed.hostname === '') return { ok: false, message: 'must name a host' };
  return { ok: true, url: parsed };
}

/** The host as an address when it is an IP literal (brackets of IPv6 removed), else undefined. */
function ipLiteralOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // The URL parser has already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
  return ipaddr.isValid(host) ? host : undefined;
}
