import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// A real HTTP server on 127.0.0.1 receiving webhook POSTs: it keeps every request and answers
// what `respond` says (200 by default), so tests can make an endpoint fail, then recover.

export type ReceivedWebhook = Readonly<{ headers: IncomingHttpHeaders; body: string; at: number }>;
export type ReceiverReply = { status: number; headers?: Record<string, string>; body?: string };

export type WebhookReceiver = {
  url: string;
  received: ReceivedWebhook[];
  respond: (request: ReceivedWebhook, index: number) => ReceiverReply;
  /** The received payloads' types, in order. */
  types(): string[];
  close(): Promise<void>;
};

export async function startReceiver(path = '/hooks'): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    respond: () => ({ status: 200, body: 'ok' }),
    types: () => receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedWebhook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = receiver.received.push(request) - 1;
      const reply = receiver.respond(request, index);
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}${path}`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}
