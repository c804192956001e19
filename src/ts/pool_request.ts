/**
 * The JS side of thread-pool requests (DNS lookups, queued work; src/native/pool_request.h): the
 * requests in flight of each loop, by number, and the delivery of their results.
 */
import { binding } from './binding.js';
import type { UVError } from './errors.js';
import type { Loop } from './loop.js';

export type RequestCallback<T> = (err: UVError | null, result?: T) => void;

// The requests in flight of each loop: a private loop dropped with requests in flight (nothing can
// run it any more) takes them and their callbacks along.
const kPending: unique symbol = Symbol('uvkit.poolPending');
type LoopWithPending = Loop & { [kPending]?: Map<number, PoolRequest<unknown>> };

function pendingOf(loop: Loop): Map<number, PoolRequest<unknown>> {
  let pending = (loop as LoopWithPending)[kPending];
  if (pending === undefined) {
    pending = new Map();
    Object.defineProperty(loop, kPending, { value: pending }); // not enumerable: not in inspect(loop)
  }
  return pending;
}

/**
 * A started request. `cancel()` asks libuv to take it back, which works while it still waits for a
 * thread-pool thread; its callback then gets the cancellation error.
 */
export class PoolRequest<T> {
  #id = 0;
  readonly #callback: RequestCallback<T>;
  readonly #error: (status: number) => UVError;
  /** @internal What the request uses until it completes (kept alive here too). */ pin: unknown;

  /** @internal */
  constructor(callback: RequestCallback<T>, error: (status: number) => UVError, pin?: unknown) {
    this.#callback = callback;
    this.#error = error;
    this.pin = pin;
  }

  /** True when the request was cancelled (its callback gets the error); false once it runs or ran. */
  cancel(): boolean {
    return this.#id !== 0 && binding.cancelRequest(this.#id);
  }

  /** @internal */
  started(loop: Loop, id: number): this {
    this.#id = id;
    pendingOf(loop).set(id, this as PoolRequest<unknown>);
    return this;
  }

  /** @internal */
  complete(status: number, result: unknown): void {
    this.#id = 0;
    this.pin = undefined;
    if (status < 0) this.#callback(this.#error(status));
    else this.#callback(null, result as T);
  }
}

/** Calls `start(callback)` with the caller's callback, or makes a promise of the result. */
export function callbackOrPromise<T, R extends PoolRequest<T>>(callback: RequestCallback<T> | undefined, start: (cb: RequestCallback<T>) => R): R | Promise<T> {
  if (callback !== undefined) return start(callback);
  return new Promise<T>((resolve, reject) => {
    start((err, result) => (err === null ? resolve(result as T) : reject(err)));
  });
}

// Each completion, with `this` = the loop. A callback's error takes the path of callback errors
// (run() rethrows it, onError, or 'uncaughtException'); it belongs to no handle.
binding.setCallback('requestDone', function (this: Loop, id: number, status: number, result: unknown) {
  const pending = (this as LoopWithPending)[kPending];
  const request = pending?.get(id);
  if (request === undefined) return; // started through the raw binding
  pending!.delete(id);
  try {
    request.complete(status, result);
  } catch (error) {
    this.reportError(error);
  }
});
