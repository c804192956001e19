/**
 * Async: wakes a loop from any thread. `send()` works on the owning thread; `sender()` returns a
 * token that survives postMessage/workerData, and `Async.send(token)` wakes the handle from any
 * thread (a worker). Sends coalesce: several sends before the loop runs give one callback.
 */
import { binding, nativeMethods } from './binding.js';
import { invalidArgType } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import { Loop } from './loop.js';

/** A structured-cloneable reference to an Async handle. */
export interface AsyncToken {
  readonly uvkitAsync: number;
}

const { sender: nativeSender } = nativeMethods(binding.Async);

export class Async extends handleClass(binding.Async) {
  #callback: ((handle: Async) => void) | undefined;

  static {
    binding.setCallback('async', function (this: Async) {
      if (#callback in this) this.#callback?.call(this, this);
    });
  }

  /** `new Async(loop?, callback?)`; the loop may be omitted: `new Async(callback)`. */
  constructor(loop?: Loop | ((handle: Async) => void), callback?: (handle: Async) => void) {
    if (typeof loop === 'function' && callback === undefined) {
      callback = loop;
      loop = undefined;
    }
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    super(resolveLoop(loop));
    this.#callback = callback;
  }

  /** A token other threads pass to {@link Async.send}. */
  sender(): AsyncToken {
    return Object.freeze({ uvkitAsync: nativeSender.call(this) });
  }

  /** Wakes the Async behind `token` from any thread. False (and harmless) once it has closed. */
  static send(token: AsyncToken): boolean {
    if (typeof token !== 'object' || token === null || typeof token.uvkitAsync !== 'number') {
      throw invalidArgType('token', 'an AsyncToken from Async#sender()', token);
    }
    return binding.asyncSend(token.uvkitAsync);
  }
}
