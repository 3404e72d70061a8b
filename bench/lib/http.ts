import http from 'node:http';

// A small keep-alive HTTP client for set-up calls and for the revocation poller: one socket reused,
// so a poll costs a round trip on 127.0.0.1 and no connection set-up.

export type Reply = { status: number; body: string; json<T = Record<string, unknown>>(): T };

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export function request(
  url: string,
  options: { method?: string; token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body, json: <T>() => JSON.parse(body) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** The reply, or an error naming the call when its status is not the expected one. */
export async function expectStatus(reply: Promise<Reply>, status: number, what: string): Promise<Reply> {
  const r = await reply;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status}: ${r.body.slice(0, 500)}`);
  return r;
}
