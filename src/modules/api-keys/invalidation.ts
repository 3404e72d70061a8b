import { randomUUID } from 'node:crypto';
import type { KeyCache } from './key-cache.js';

/**
 * Tells every instance that a key or an organization changed, so cached verifications are
 * dropped before the next request. This instance's cache is cleared before the call returns;
 * other instances hear it through the bus (Redis pub/sub, or PostgreSQL LISTEN/NOTIFY).
 */
export type Invalidation = Readonly<{
  keyChanged(keyId: string): Promise<void>;
  organizationChanged(organizationId: string): Promise<void>;
  close(): Promise<void>;
}>;

export type InvalidationMessage = { kind: 'key' | 'org'; id: string; origin: string };

export const INVALIDATION_CHANNEL = 'postgate_invalidation';

/** Single-process invalidation: the local cache only. */
export function localInvalidation(cache: KeyCache): Invalidation {
  return {
    keyChanged: async (keyId) => cache.invalidateKey(keyId),
    organizationChanged: async (organizationId) => cache.invalidateOrganization(organizationId),
    close: async () => undefined,
  };
}

export type Bus = {
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
};

/** What the invalidation buses log with (a pino Logger fits). */
export type BusLogger = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

/**
 * Shared logic of the bus-backed invalidations: apply locally, publish, and apply what others
 * publish. `connectBus` gets the handler for incoming payloads and the cache's fail-closed switch.
 */
export function busInvalidation(
  cache: KeyCache,
  logger: BusLogger,
  connectBus: (onMessage: (payload: string) => void) => Bus,
): Invalidation {
  const origin = randomUUID();
  const apply = (message: InvalidationMessage): void => {
    if (message.kind === 'key') cache.invalidateKey(message.id);
    else cache.invalidateOrganization(message.id);
  };
  const bus = connectBus((payload) => {
    try {
      const message = JSON.parse(payload) as InvalidationMessage;
      if (message.origin !== origin && typeof message.id === 'string') apply(message);
    } catch {
      logger.warn({ payload: payload.slice(0, 200) }, 'invalidation: ignored a malformed message');
    }
  });
  const send = async (message: Omit<InvalidationMessage, 'origin'>): Promise<void> => {
    apply({ ...message, origin });
    try {
      await bus.publish(JSON.stringify({ ...message, origin }));
    } catch (error) {
      // Other instances are very likely cut off from the bus too, and then verify from the
      // database (fail closed); the cache TTL bounds the remaining case of a partial partition.
      logger.warn({ err: error }, 'invalidation: could not publish; other instances rely on their cache TTL');
    }
  };
  return {
    keyChanged: (id) => send({ kind: 'key', id }),
    organizationChanged: (id) => send({ kind: 'org', id }),
    close: () => bus.close(),
  };
}
