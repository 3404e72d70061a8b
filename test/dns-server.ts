import dns2 from 'dns2';

const { Packet } = dns2;

// A real DNS server on 127.0.0.1 for tests: the code under test resolves through node:dns
// exactly as in production, pointed here with `dnsServers`. It answers TXT questions from a
// map the test edits; every other name is NXDOMAIN, every other type an empty answer.

/** One TXT record: a string, or the character-strings of a record split on purpose. */
export type TxtRecord = string | readonly string[];

export type TestDnsServer = {
  /** `127.0.0.1:PORT`, ready for `Resolver.setServers`. */
  address: string;
  /** Replaces the TXT records of `name` (case-insensitive, no trailing dot). */
  setTxt(name: string, records: readonly TxtRecord[]): void;
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

export async function start(): Promise<TestDnsServer> {
  const zone = new Map<string, string[][]>();
  const handle: dns2.DnsHandler = (request, send) => {
    const [question] = request.questions;
    const records = question ? zone.get(normalise(question.name)) : undefined;
    if (!question || !records) {
      void send(Packet.createErrorResponseFromRequest(request, Packet.RCODE.NXDOMAIN));
      return;
    }
    const response = Packet.createResponseFromRequest(request);
    if (question.type === Packet.TYPE.TXT) {
      for (const data of records) {
        response.answers.push(Packet.createResourceFromQuestion(question, { type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data }));
      }
    }
    void send(response);
  };
  // UDP and TCP on one port: resolvers retry over TCP when a UDP answer is truncated.
  const { udp, tcp, port } = await listenOnOnePort(handle);
  return {
    address: `127.0.0.1:${port}`,
    setTxt: (name, records) => {
      zone.set(normalise(name), records.map(characterStrings));
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
