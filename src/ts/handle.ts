/**
 * What every handle shares: its loop, `data`, ref/unref, an idempotent close() with callback or
 * promise, and the dispose symbols. Each handle class is `handleClass(binding.X)` plus its own
 * methods; the native side keeps the state machine and the lifetime rules (DESIGN.md).
 */
import { binding, type NativeHandle } from './binding.js';
import { invalidArgType } from './errors.js';
import { Loop } from './loop.js';
import { validateFunction } from './validate.js';

export interface Handle {
  readonly loop: Loop;
  /** Free for the user. */
  data: unknown;
  readonly active: boolean;
  readonly closing: boolean;
  readonly closed: boolean;
  ref(): this;
  unref(): this;
  hasRef(): boolean;
  fileno(): number;
  close(callback: () => void): void;
  close(): Promise<void>;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The loop argument of a handle constructor: omitted means Loop.default(). */
export function resolveLoop(loop: unknown): Loop {
  if (loop === undefined) return Loop.default();
  if (!(loop instanceof Loop)) throw invalidArgType('loop', 'an instance of Loop', loop);
  return loop;
}

/** Internal: the method native code reaches (through the 'close' callback) once a close completed. */
export const kClosed: unique symbol = Symbol('uvkit.closed');

export interface ClosedNotifiable {
  [kClosed](): void;
}

// Native code calls this once a handle's close completed, whoever started the close.
binding.setCallback('close', function (this: Partial<ClosedNotifiable>) {
  this[kClosed]?.();
});

/**
 * Calls `fn` for each item, all of them even if some throw. One error propagates as it is; when
 * several throw, each takes the path of a callback error in order (run() rethrows them one per
 * call, or onError, or 'uncaughtException'), so none is lost.
 */
export function forEachCallback<T>(items: Iterable<T>, fn: (item: T) => void, handle: Handle): void {
  let errors: unknown[] | undefined;
  for (const item of items) {
    try {
      fn(item);
    } catch (error) {
      (errors ??= []).push(error);
    }
  }
  if (errors === undefined) return;
  if (errors.length === 1) throw errors[0];
  for (const error of errors) handle.loop.reportError(error, handle);
}

// Mixin constructors must take `any[]` (TypeScript's rule for mixins).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeHandleClass = new (...args: any[]) => NativeHandle;

export function handleClass<TBase extends NativeHandleClass>(Base: TBase) {
  abstract class HandleBase extends Base implements Handle, ClosedNotifiable {
    readonly loop: Loop;
    data: unknown = undefined;
    // One callback is kept as is; an array only once a second close() call adds another.
    #onClose: (() => void) | Array<() => void> | undefined = undefined;
    #closeRequested = false;
    #closed = false;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(...args: any[]) {
      super(...args);
      this.loop = args[0] as Loop;
    }

    /** Closes the handle (idempotent). With a callback it is called once closed; without, a promise. */
    override close(callback: () => void): void;
    override close(): Promise<void>;
    override close(callback?: () => void): void | Promise<void> {
      if (callback !== undefined) validateFunction(callback, 'callback');
      if (this.#closed) {
        if (callback === undefined) return Promise.resolve();
        process.nextTick(() => callback.call(this));
        return;
      }
      let promise: Promise<void> | undefined;
      if (callback === undefined) promise = new Promise<void>((resolve) => this.#addCloseCallback(resolve));
      else this.#addCloseCallback(callback);
      if (!this.#closeRequested) {
        this.#closeRequested = true;
        super.close();
      }
      return promise;
    }

    #addCloseCallback(fn: () => void): void {
      const current = this.#onClose;
      if (current === undefined) this.#onClose = fn;
      else if (Array.isArray(current)) current.push(fn);
      else this.#onClose = [current, fn];
    }

    // Every close callback runs even if one throws (see forEachCallback).
    [kClosed](): void {
      this.#closed = true;
      const callbacks = this.#onClose;
      this.#onClose = undefined;
      if (callbacks === undefined) return;
      if (!Array.isArray(callbacks)) {
        callbacks.call(this);
        return;
      }
      forEachCallback(callbacks, (fn) => fn.call(this), this);
    }

    [Symbol.dispose](): void {
      void this.close();
    }

    [Symbol.asyncDispose](): Promise<void> {
      return this.close();
    }
  }
  return HandleBase;
}
