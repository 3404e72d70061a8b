import pg from 'pg';
import type { KeyCache } from './key-cache.js';
import { INVALIDATION_CHANNEL, type Bus, type BusLogger as Logger } from './invalidation.js';

/**
 * PostgreSQL LISTEN/NOTIFY on a dedicated connection (not from the pool), reconnected with
 * backoff. Same fail-closed rule as Redis: no listener, no cache.
 */
export function postgresBus(options: { url: string; pool: pg.Pool; cache: KeyCache; logger: Logger }) {
  return (onMessage: (payload: string) => void): Bus => {
    let client: pg.Client | undefined;
    let closed = false;
    let attempt = 0;
    options.cache.setEnabled(false);
    const connect = async (): Promise<void> => {
      if (closed) return;
      const c = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 2_000 });
      c.on('notification', (n) => {
        if (n.channel === INVALIDATION_CHANNEL && n.payload) onMessage(n.payload);
      });
      const lost = (): void => {
        if (client !== c) return;
        client = undefined;
        options.cache.setEnabled(false);
        if (!closed) {
          options.logger.warn({}, 'invalidation: LISTEN connection lost; verifying every key from the database');
          setTimeout(() => void connect(), Math.min(100 * 2 ** attempt++, 2_000)).unref();
        }
      };
      c.on('error', lost);
      c.on('end', lost);
      try {
        await c.connect();
        await c.query(`LISTEN ${INVALIDATION_CHANNEL}`);
        client = c;
        attempt = 0;
        if (closed) return void c.end().catch(() => undefined);
        options.cache.setEnabled(true);
      } catch {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
        if (!closed) setTimeout(() => void connect(), Math.min(100 * 2 ** attempt++, 2_000)).unref();
      }
    };
    void connect();
    return {
      publish: async (payload) => {
        await options.pool.query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, payload]);
      },
      close: async () => {
        closed = true;
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
      },
    };
  };
}
