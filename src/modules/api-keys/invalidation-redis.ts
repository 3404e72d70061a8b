import { Redis } from 'ioredis';
import type { KeyCache } from './key-cache.js';
import { INVALIDATION_CHANNEL, type Bus, type BusLogger as Logger } from './invalidation.js';

// Imported only when REDIS_URL is set (app/deps.ts), so the embedded default never loads ioredis.

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
