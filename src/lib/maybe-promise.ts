/**
 * A value now, or later: the in-process limit stores answer plain values, the Redis-backed ones
 * promises, behind one type (modules/limits/types.ts). Callers simply await either.
 */
export type MaybePromise<T> = T | Promise<T>;
