import { Redis } from 'ioredis';
import pg from 'pg';
import type { KeyCache } from './key-cache.js';
import { INVALIDATION_CHANNEL, type Bus, type BusLogger as Logger } from './invalidation.js';


/**
 * Redis pub/sub. While the subscriber is not subscribed, the cache is off (every verification
 * reads the database), because messages published meanwhile are lost.
 */
export function redisBus(options: { url: string; cache: KeyCache; logger: Logger; channel?: string }) {
  const channel = options.channel ?? INVALIDATION_CHANNEL;
  return (onMessage: (payload: string) => void): Bus => {
    const common = { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 };
    const publisher = new Redis(options.url, { ...common, commandTimeout: 500 });
    const subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true, retryStrategy: (n) => Math.min(n * 100, 1_000) });
    publisher.on('error', () => undefined);
    options.cache.setEnabled(false);
    let down = false;
    let closing = false;
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => {
      subscriber
        .subscribe(channel)
        .then(() => {
          options.cache.setEnabled(true);
          if (down) options.logger.info({}, 'invalidation: Redis is back; key cache on again');
          down = false;
        })
        .catch(() => undefined);
    });
    subscriber.on('close', () => {
      if (closing) return;
      if (!down) options.logger.warn({}, 'invalidation: Redis unreachable; verifying every key from the database until it is back');
      down = true;
      options.cache.setEnabled(false);
    });
    subscriber.on('message', (_channel: string, payload: string) => onMessage(payload));
    return {
      publish: async (payload) => {
        await publisher.publish(channel, payload);
      },
      close: async () => {
        closing = true;
        subscriber.disconnect();
        publisher.disconnect();
      },
    };
  };
}

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
