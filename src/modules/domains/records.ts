import { Resolver } from 'node:dns/promises';
import type { DomainRow } from '../../db/schema.js';
import { dkimPublicKey, dkimRecordMatches, dkimRecordValue } from './dkim.js';
import { inboundMxHost } from './inbound-host.js';
import type { DomainRecord, RecordStatus } from './schemas.js';

// The DNS records a domain asks its owner to publish, and how each is checked. Ownership (listed
// as `Verification`: the SDK has no kind for it) and DKIM decide verification; SPF is advice (its
// right value depends on how mail leaves this server, through a relay or directly), so it is
// reported but never required. SPF is published at the domain itself, not at its
// custom_return_path subdomain as Resend's is: mail leaves with the From address as the envelope
// sender, so that is the name receivers check SPF at.

const OWNERSHIP_PREFIX = 'postgate-verification=';
// A suggestion only: the owner adds the sending host (or the relay's include) to it.
const SPF_SUGGESTION = 'v=spf1 a mx ~all';
const SPF_RECORD = /^v=spf1(\s|$)/i;
const DEFAULT_TIMEOUT_MS = 3_000;

type RecordKind = 'ownership' | 'dkim' | 'spf';
export type RecordStatuses = Readonly<Record<RecordKind, RecordStatus>>;

export type DnsOptions = Readonly<{
  /** `host:port` resolvers (`[::1]:53` for IPv6); undefined: the system's. */
  servers: readonly string[] | undefined;
  timeoutMs?: number | undefined;
}>;

type Expected = {
  kind: RecordKind;
  record: DomainRecord['record'];
  name: string;
  value: string;
  required: boolean;
  /** True when the TXT records published at `name` (strings joined) carry this one. */
  isPublishedIn(published: readonly string[]): boolean;
};

function expectedRecords(row: DomainRow): Expected[] {
  const ownership = `${OWNERSHIP_PREFIX}${row.verificationToken}`;
  const publicKey = dkimPublicKey(row.dkimPrivateKey);
  return [
    {
      kind: 'ownership',
      record: 'Verification',
      name: `_postgate.${row.name}`,
      value: ownership,
      required: true,
      isPublishedIn: (published) => published.some((txt) => txt.trim() === ownership),
    },
    {
      kind: 'dkim',
      record: 'DKIM',
      name: `${row.dkimSelector}._domainkey.${row.name}`,
      value: dkimRecordValue(publicKey),
      required: true,
      isPublishedIn: (published) => published.some((txt) => dkimRecordMatches(txt, publicKey)),
    },
    {
      kind: 'spf',
      record: 'SPF',
      name: row.name,
      value: SPF_SUGGESTION,
      required: false,
      // RFC 7208 4.5: two SPF records are a permanent error at every receiver, so exactly one.
      isPublishedIn: (published) => published.filter((txt) => SPF_RECORD.test(txt.trim())).length === 1,
    },
  ];
}

/**
 * The records to publish, with the status each had at the last check; with receiving enabled, also
 * the MX record inbound mail will need (`publicUrl`: POSTGATE_PUBLIC_URL, whose host it names).
 */
export function presentRecords(row: DomainRow, publicUrl?: string): DomainRecord[] {
  const statuses: RecordStatuses = { ownership: row.ownershipStatus, dkim: row.dkimStatus, spf: row.spfStatus };
  const records: DomainRecord[] = expectedRecords(row).map((r) => ({
    record: r.record,
    name: r.name,
    type: 'TXT',
    ttl: 'Auto',
    value: r.value,
    status: statuses[r.kind],
    required: r.required,
  }));
  if (row.receiving === 'enabled') records.push(receivingRecord(row, publicUrl));
  return records;
}

/**
 * Where the domain's mail would be received. Never checked yet, so always `not_started`: Postgate
 * has no inbound listener to verify it against, and sending never depends on it.
 */
function receivingRecord(row: DomainRow, publicUrl: string | undefined): DomainRecord {
  return { record: 'Receiving', name: row.name, type: 'MX', ttl: 'Auto', value: inboundMxHost(publicUrl), priority: 10, status: 'not_started', required: false };
}

/** Looks every record up (in parallel) and says which are published as expected. */
export async function checkRecords(row: DomainRow, dns: DnsOptions): Promise<RecordStatuses> {
  const resolver = new Resolver({ timeout: dns.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: 2 });
  if (dns.servers) resolver.setServers([...dns.servers]);
  const statuses: Record<RecordKind, RecordStatus> = { ownership: 'failed', dkim: 'failed', spf: 'failed' };
  await Promise.all(
    expectedRecords(row).map(async (r) => {
      if (r.isPublishedIn(await lookupTxt(resolver, r.name))) statuses[r.kind] = 'verified';
    }),
  );
  return statuses;
}

/**
 * The TXT records at `name`, each with its strings joined (a record longer than 255 bytes,
 * like a DKIM key, arrives split). Any failure (NXDOMAIN, no data, timeout, refused) is "nothing
 * published": a verification that cannot see a record must fail, never error.
 */
async function lookupTxt(resolver: Resolver, name: string): Promise<string[]> {
  try {
    const records = await resolver.resolveTxt(name);
    return records.map((strings) => strings.join(''));
  } catch {
    return [];
  }
}
