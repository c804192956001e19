/**
 * Loop watchers: Prepare runs right before the loop polls for I/O, Check right after, and an
 * active Idle keeps the loop polling without blocking.
 */
import { binding, nativeMethods, type CallbackName } from './binding.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { validateFunction } from './validate.js';

function watcherClass(Native: typeof binding.Prepare, event: CallbackName) {
  const { start: nativeStart } = nativeMethods(Native);
  return class Watcher extends handleClass(Native) {
    #callback: ((handle: this) => void) | undefined = undefined;

    static {
      binding.setCallback(event, function (this: Watcher) {
        if (#callback in this) this.#callback?.call(this, this);
      });
    }

    constructor(loop?: Loop) {
      super(resolveLoop(loop));
    }

    /** Calls `callback(handle)` once per loop iteration until stop(). Restarting replaces it. */
    start(callback: (handle: this) => void): void {
      validateFunction(callback, 'callback');
      nativeStart.call(this);
      this.#callback = callback;
    }
  };
}

export class Prepare extends watcherClass(binding.Prepare, 'prepare') {}
export class Check extends watcherClass(binding.Check, 'check') {}
export class Idle extends watcherClass(binding.Idle, 'idle') {}
