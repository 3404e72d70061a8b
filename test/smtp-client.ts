import net from 'node:net';
import tls from 'node:tls';

/**
 * A deliberately dumb SMTP client for protocol tests: writes exactly the bytes it is given and
 * reads whole replies (the last line of a reply has a space after the code).
 */
export class RawSmtp {
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  /** `localAddress`: another loopback address to connect from (127.0.0.2: another client). */
  static async connect(port: number, implicitTls = false, localAddress?: string): Promise<{ client: RawSmtp; greeting: string }> {
    const socket = implicitTls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...(localAddress ? { localAddress } : {}) })
      : net.createConnection({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    socket.on('error', () => undefined);
    const client = new RawSmtp(socket);
    return { client, greeting: await client.reply() };
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** The next complete reply (all its lines), or '' if the connection closed first. */
  async reply(timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        return match[0].trimEnd();
      }
      if (this.socket.destroyed || Date.now() > deadline) return '';
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  write(data: string): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /**
   * STARTTLS, then the TLS handshake on the same socket. `pipelined` is written in the same
   * packet right behind the command, as an attacker injecting plaintext commands would.
   */
  async startTls(pipelined = ''): Promise<string> {
    this.write(`STARTTLS\r\n${pipelined}`);
    const answer = await this.reply();
    if (!answer.startsWith('220')) return answer;
    this.socket.removeAllListeners('data');
    this.buffer = '';
    const secure = tls.connect({ socket: this.socket as net.Socket, rejectUnauthorized: false });
    secure.on('error', () => undefined);
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    this.socket = secure;
    this.attach(secure);
    return answer;
  }

  async authPlain(user: string, password: string): Promise<string> {
    return this.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  }

  /** Whether the server has closed the connection. */
  get closed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  close(): void {
    this.socket.destroy();
  }
}
