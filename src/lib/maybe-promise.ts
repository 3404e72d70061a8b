/**
 * A value now, or later. The warm request path is synchronous end to end when every store it
 * touches is in process (key cache, memory limits); Redis-backed stores answer with a promise.
 * Writing that path with `chain` instead of `async`/`await` means a warm request allocates no
 * promise and waits for no microtask turn, while the same code still serves the remote stores.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`, now when `value` is plain, once it resolves when it is a promise. */
export function chain<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
