import type { KeyCache } from './key-cache.js';

/**
 * Tells every instance that a key or an organization changed, so cached verifications are
 * dropped before the next request. This instance's cache is cleared before the call returns.
 */
export type Invalidation = Readonly<{
  keyChanged(keyId: string): Promise<void>;
  organizationChanged(organizationId: string): Promise<void>;
  close(): Promise<void>;
}>;

/** Single-process invalidation: the local cache only. */
export function localInvalidation(cache: KeyCache): Invalidation {
  return {
    keyChanged: async (keyId) => cache.invalidateKey(keyId),
    organizationChanged: async (organizationId) => cache.invalidateOrganization(organizationId),
    close: async () => undefined,
  };
}
