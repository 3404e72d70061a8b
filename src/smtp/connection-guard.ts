import type { Server, Socket } from 'node:net';
import { clientAddress } from '../lib/client-address.js';
import { normalizeIp } from '../lib/ip.js';
import type { ConcurrencyLimiter, ConcurrencySlot } from '../modules/limits/types.js';
import { protocolError } from './replies.js';

// Security: without these, one address could hold every one of the server's connection slots
// with idle sockets, and every tenant would get 421 (issue 20, finding 4). Each client (an IPv4
// address, an IPv6 /64, as every other limit counts it) may hold a few connections, counted
// across instances when Redis is configured; a connection that has not authenticated within
// the deadline is closed.

export type ConnectionGuardOptions = Readonly<{
  limiter: ConcurrencyLimiter;
  perClient: number;
  authTimeoutMs: number;
}>;

type Peer = Readonly<{ remoteAddress: string; remotePort: number }>;

/** How a socket and smtp-server's session for it name the same peer. */
const peerKey = (address: string | undefined, port: number | undefined): string => `${normalizeIp(address ?? '')}|${port ?? 0}`;

export class ConnectionGuard {
  private readonly slots = new Map<string, ConcurrencySlot>();
  /** Sockets not yet authenticated, each with the timer that closes it. */
  private readonly waiting = new Map<string, { socket: Socket; timer: NodeJS.Timeout }>();

  constructor(private readonly options: ConnectionGuardOptions) {}

  /** Starts every new connection's deadline; `server` is smtp-server's listening net (or tls) server. */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      const key = peerKey(socket.remoteAddress, socket.remotePort);
      const timer = setTimeout(() => socket.destroy(), this.options.authTimeoutMs);
      timer.unref();
      this.waiting.set(key, { socket, timer });
      socket.once('close', () => {
        clearTimeout(timer);
        if (this.waiting.get(key)?.socket === socket) this.waiting.delete(key);
      });
    });
  }

  /** Takes one of the client's connection slots; throws a 421 reply when it holds them all. */
  async admit(session: Peer & { id: string }): Promise<void> {
    const client = clientAddress(session.remoteAddress).limitKey;
    const slot = await this.options.limiter.acquire(`smtp:${client}`, this.options.perClient);
    if (!slot.ok) throw protocolError(421, '4.7.0', `Too many connections from your address (at most ${this.options.perClient}); try again later`);
    this.slots.set(session.id, slot);
  }

  /** The session authenticated: its connection may stay (up to the idle timeout). */
  authenticated(session: Peer): void {
    const key = peerKey(session.remoteAddress, session.remotePort);
    const entry = this.waiting.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.waiting.delete(key);
  }

  /** Frees the session's slot (idempotent). */
  closed(session: { id: string }): void {
    const slot = this.slots.get(session.id);
    if (!slot) return;
    this.slots.delete(session.id);
    void slot.release();
  }
}
