/**
 * Loop watchers: Prepare runs right before the loop polls for I/O, Check right after, and an
 * active Idle keeps the loop polling without blocking.
 */
import { binding } from './binding.js';
import { handleClass, resolveLoop } from './handle.js';
import type { Loop } from './loop.js';
import { validateFunction } from './validate.js';

function watcherClass(Native: typeof binding.Prepare) {
  return class Watcher extends handleClass(Native) {
    constructor(loop?: Loop) {
      super(resolveLoop(loop));
    }

    /** Calls `callback(handle)` once per loop iteration until stop(). Restarting replaces it. */
    override start(callback: (handle: this) => void): void {
      validateFunction(callback, 'callback');
      super.start(callback);
    }
  };
}

export class Prepare extends watcherClass(binding.Prepare) {}
export class Check extends watcherClass(binding.Check) {}
export class Idle extends watcherClass(binding.Idle) {}
