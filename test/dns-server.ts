import { isIPv4, isIPv6 } from 'node:net';
import dns2 from 'dns2';

const { Packet } = dns2;

// A real DNS server on 127.0.0.1 for tests: the code under test resolves through node:dns
// exactly as in production, pointed here with `dnsServers`. It answers TXT, A and AAAA questions
// from a map the test edits; every other name is NXDOMAIN, every other type an empty answer.

/** One TXT record: a string, or the character-strings of a record split on purpose. */
export type TxtRecord = string | readonly string[];

export type TestDnsServer = {
  /** `127.0.0.1:PORT`, ready for `Resolver.setServers`. */
  address: string;
  /** Replaces the TXT records of `name` (case-insensitive, no trailing dot). */
  setTxt(name: string, records: readonly TxtRecord[]): void;
  /** Replaces the A and AAAA records of `name`: each address goes to the type of its family. */
  setAddresses(name: string, addresses: readonly string[]): void;
  clear(): void;
  close(): Promise<void>;
};

// A TXT character-string holds at most 255 bytes; longer values are split as DNS hosts do
// (by characters: test records are ASCII).
const MAX_STRING = 255;

function characterStrings(record: TxtRecord): string[] {
  if (typeof record !== 'string') return [...record];
  const strings: string[] = [];
  for (let i = 0; i < record.length; i += MAX_STRING) strings.push(record.slice(i, i + MAX_STRING));
  return strings.length > 0 ? strings : [''];
}

const normalise = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** What one name holds; a name set with only TXT records has no addresses, and the reverse. */
type ZoneEntry = { txt: string[][]; a: string[]; aaaa: string[] };

type Question = dns2.Packet.Question;
type Resource = dns2.Packet.Resource;

function answersFor(question: Question, entry: ZoneEntry): Resource[] {
  const answer = (fields: Partial<Resource>): Resource =>
    Packet.createResourceFromQuestion(question, { class: Packet.CLASS.IN, ttl: 1, ...fields });
  switch (question.type) {
    case Packet.TYPE.TXT:
      return entry.txt.map((data) => answer({ type: Packet.TYPE.TXT, data }));
    case Packet.TYPE.A:
      return entry.a.map((address) => answer({ type: Packet.TYPE.A, address }));
    case Packet.TYPE.AAAA:
      return entry.aaaa.map((address) => answer({ type: Packet.TYPE.AAAA, address }));
    default:
      return [];
  }
}

export async function start(): Promise<TestDnsServer> {
  const zone = new Map<string, ZoneEntry>();
  const entryFor = (name: string): ZoneEntry => {
    const key = normalise(name);
    const existing = zone.get(key);
    if (existing) return existing;
    const created: ZoneEntry = { txt: [], a: [], aaaa: [] };
    zone.set(key, created);
    return created;
  };
  const handle: dns2.DnsHandler = (request, send) => {
    const [question] = request.questions;
    const entry = question ? zone.get(normalise(question.name)) : undefined;
    if (!question || !entry) {
      void send(Packet.createErrorResponseFromRequest(request, Packet.RCODE.NXDOMAIN));
      return;
    }
    const response = Packet.createResponseFromRequest(request);
    response.answers.push(...answersFor(question, entry));
    void send(response);
  };
  // UDP and TCP on one port: resolvers retry over TCP when a UDP answer is truncated.
  const { udp, tcp, port } = await listenOnOnePort(handle);
  return {
    address: `127.0.0.1:${port}`,
    setTxt: (name, records) => {
      entryFor(name).txt = records.map(characterStrings);
    },
    setAddresses: (name, addresses) => {
      const entry = entryFor(name);
      entry.a = addresses.filter((address) => isIPv4(address));
      entry.aaaa = addresses.filter((address) => isIPv6(address));
    },
    clear: () => zone.clear(),
    close: async () => {
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

type Listening = { udp: dns2.UDPServer; tcp: dns2.TCPServer; port: number };

/** A free UDP port whose TCP twin is free too (retried: another process may hold the TCP side). */
async function listenOnOnePort(handle: dns2.DnsHandler): Promise<Listening> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dns2.createUDPServer(handle);
    await udp.listen(0, '127.0.0.1');
    const port = udp.address().port;
    const tcp = dns2.createTCPServer(handle);
    const bound = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) return { udp, tcp, port };
    udp.close();
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}
