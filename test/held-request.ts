import net from 'node:net';

export type HeldRequest = { status: Promise<number>; finish(): void; abort(): void };

/**
 * Opens `POST /api-keys` and sends only part of its body: the request is in flight (holding its
 * concurrency slot) until `finish` sends the rest or `abort` drops the connection. `status` is the
 * HTTP status received (0 when the connection closed without one).
 */
export function holdRequest(base: URL, token: string): Promise<HeldRequest> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: base.hostname, port: Number(base.port) });
    const body = JSON.stringify({ name: 'held' });
    let response = '';
    const status = new Promise<number>((done) => {
      socket.on('data', (d) => {
        response += d.toString();
        const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
        if (m) done(Number(m[1]));
      });
      socket.on('close', () => done(0));
    });
    socket.once('error', reject);
    socket.on('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      socket.write(
        `POST /api-keys HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      resolve({ status, finish: () => socket.write(body.slice(5)), abort: () => socket.destroy() });
    });
  });
}
