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
  /** Sessions whose slot is being taken, and those of them that closed meanwhile. */
  private readonly admitting = new Set<string>();
  private readonly closedWhileAdmitting = new Set<string>();
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
    this.admitting.add(session.id);
    let slot: Awaited<ReturnType<ConcurrencyLimiter['acquire']>>;
    try {
      slot = await this.options.limiter.acquire(`smtp:${client}`, this.options.perClient);
    } finally {
      this.admitting.delete(session.id);
    }
    if (!slot.ok) throw protocolError(421, '4.7.0', `Too many connections from your address (at most ${this.options.perClient}); try again later`);
    // A client that left while its slot was being taken (a Redis round trip) gives it back at once.
    if (this.closedWhileAdmitting.delete(session.id)) return void slot.release();
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
    if (this.admitting.has(session.id)) this.closedWhileAdmitting.add(session.id);
    const slot = this.slots.get(session.id);
    if (!slot) return;
    this.slots.delete(session.id);
    void slot.release();
  }
}
