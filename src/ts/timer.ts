/** Timer: one libuv timer (uv_timer_t). Times are milliseconds; fractions round up. */
import { binding } from './binding.js';
import { handleClass, resolveLoop } from './handle.js';
import type { Loop } from './loop.js';
import { validateFunction, validateMillis } from './validate.js';

export class Timer extends handleClass(binding.Timer) {
  constructor(loop?: Loop) {
    super(resolveLoop(loop));
  }

  /** Calls `callback(timer)` after `timeout` ms, then every `repeat` ms if repeat > 0. */
  override start(callback: (timer: this) => void, timeout: number, repeat = 0): void {
    validateFunction(callback, 'callback');
    validateMillis(timeout, 'timeout');
    validateMillis(repeat, 'repeat');
    super.start(callback, timeout, repeat);
  }

  /** Restarts a repeating timer with its repeat as timeout; UVError EINVAL if never started. */
  override again(): void {
    super.again();
  }

  /** The repeat interval in ms (0: one-shot). Takes effect at the next expiry. */
  override get repeat(): number {
    return super.repeat;
  }
  override set repeat(value: number) {
    validateMillis(value, 'repeat');
    super.repeat = value;
  }
}
