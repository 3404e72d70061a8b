import ipaddr from 'ipaddr.js';

// Strict IP and CIDR handling on top of ipaddr.js. "Strict" is the security point: forms that
// different parsers read differently (010.0.0.1 as octal, 127.1, 0x7f.1, 2130706433, zone ids)
// are refused, so what a user writes in an allow-list means one thing everywhere.

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export type IpRange = Readonly<{
  address: IpAddress;
  prefixLength: number;
  /** Canonical text: `a.b.c.d`, `a.b.c.d/n`, compact IPv6, IPv4-mapped IPv6 folded to IPv4. */
  text: string;
}>;

export type ParsedIpList =
  | { ok: true; ranges: IpRange[] }
  | { ok: false; index: number; entry: string; reason: string };

const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;
const DECIMAL_OCTETS = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;
const PREFIX = /^(0|[1-9]\d{0,2})$/;
const MAPPED_DOTTED_PREFIX = /^(::ffff:|(0{1,4}:){5}ffff:|::(0{1,4}:){0,4}ffff:)$/i;

/** Parses one address in its unambiguous textual form; IPv4-mapped IPv6 comes back as IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    if (!IPV6_CHARS.test(text)) return undefined; // zone ids (%eth0), brackets, spaces
    const tail = text.slice(text.lastIndexOf(':') + 1);
    if (tail.includes('.')) {
      // Dotted tails only in the IPv4-mapped form. The deprecated IPv4-compatible form (::a.b.c.d)
      // is refused: ipaddr.js would read it as mapped, though it is another address.
      if (!DECIMAL_OCTETS.test(tail) || !MAPPED_DOTTED_PREFIX.test(text.slice(0, text.length - tail.length))) return undefined;
    }
    if (!ipaddr.IPv6.isValid(text)) return undefined;
    const v6 = ipaddr.IPv6.parse(text);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  if (!DECIMAL_OCTETS.test(text) || !ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return ipaddr.IPv4.parse(text);
}

/** Parses `address` or `address/prefix`; the reason says what is wrong, for a 422 message. */
export function parseIpRange(entry: string): IpRange | { reason: string } {
  const slash = entry.indexOf('/');
  const addressText = slash === -1 ? entry : entry.slice(0, slash);
  const address = parseIp(addressText);
  if (!address) return { reason: 'is not an IPv4 or IPv6 address in standard notation' };
  // Written as IPv6 but folded to IPv4 (IPv4-mapped): its prefix counts 96 bits more.
  const wasMapped = addressText.includes(':') && address.kind() === 'ipv4';
  const maxPrefix = address.kind() === 'ipv4' ? 32 : 128;
  if (slash === -1) return { address, prefixLength: maxPrefix, text: address.toString() };
  const prefixText = entry.slice(slash + 1);
  if (!PREFIX.test(prefixText)) return { reason: 'has an invalid prefix length' };
  const written = Number(prefixText);
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range /8.
  const prefixLength = wasMapped ? written - 96 : written;
  if (written > 128 || prefixLength < 0 || prefixLength > maxPrefix) {
    return { reason: `has a prefix length outside 0..${maxPrefix}` };
  }
  const base = networkAddress(address, prefixLength);
  if (base.toString() !== address.toString()) {
    return { reason: `has host bits set; did you mean ${base.toString()}/${prefixLength}?` };
  }
  return { address, prefixLength, text: `${address.toString()}/${prefixLength}` };
}

function networkAddress(address: IpAddress, prefixLength: number): IpAddress {
  const bytes = address.toByteArray();
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    const i = Math.floor(bit / 8);
    bytes[i] = bytes[i]! & ~(0x80 >> bit % 8);
  }
  return ipaddr.fromByteArray(bytes) as IpAddress;
}

/** Parses a whole list; the first bad entry is reported with its index. */
export function parseIpList(entries: readonly string[]): ParsedIpList {
  const ranges: IpRange[] = [];
  for (const [index, raw] of entries.entries()) {
    const entry = raw.trim();
    const range = parseIpRange(entry);
    if ('reason' in range) return { ok: false, index, entry: raw, reason: range.reason };
    ranges.push(range);
  }
  return { ok: true, ranges };
}

/** True when `ip` falls in one of the ranges; an empty list allows every address. */
export function ipAllowed(ip: IpAddress | undefined, ranges: readonly IpRange[]): boolean {
  if (ranges.length === 0) return true;
  if (!ip) return false;
  const kind = ip.kind();
  for (const range of ranges) {
    if (range.address.kind() === kind && ip.match(range.address, range.prefixLength)) return true;
  }
  return false;
}

/** True when every address of `inner` falls in one of `outers` (a range inside an allow-list). */
export function rangeWithin(inner: IpRange, outers: readonly IpRange[]): boolean {
  const kind = inner.address.kind();
  return outers.some(
    (outer) => outer.address.kind() === kind && inner.prefixLength >= outer.prefixLength && inner.address.match(outer.address, outer.prefixLength),
  );
}

/** Canonical text of a peer address as sockets report it (`::ffff:1.2.3.4` becomes `1.2.3.4`). */
export function normalizeIp(text: string): string {
  const parsed = parseIp(text);
  return parsed ? parsed.toString() : text;
}
