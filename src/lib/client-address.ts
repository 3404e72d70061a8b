import { parseIp, type IpAddress } from './ip.js';

/** A client address as the edges use it: parsed once, with its canonical text and limit key. */
export type ClientAddress = Readonly<{
  address: IpAddress | undefined;
  /** Canonical text (`::ffff:1.2.3.4` folded to `1.2.3.4`). */
  text: string;
  /** What per-client counters use: the address, or its /64 for IPv6 (one host owns a /64). */
  limitKey: string;
}>;

const MAX_CACHED = 10_000;
const cache = new Map<string, ClientAddress>();

/**
 * Parses a peer address, memoised: clients repeat, and parsing with strict checks on every
 * request was a measurable share of a warm request.
 */
export function clientAddress(raw: string): ClientAddress {
  const hit = cache.get(raw);
  if (hit) return hit;
  const address = parseIp(raw);
  const text = address ? address.toString() : raw;
  const limitKey =
    address?.kind() === 'ipv6' ? `${address.toNormalizedString().split(':').slice(0, 4).join(':')}::/64` : text;
  const entry: ClientAddress = Object.freeze({ address, text, limitKey });
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(raw, entry);
  return entry;
}
