/** Timer: one libuv timer (uv_timer_t). Times are milliseconds; fractions round up. */
import { binding, nativeMethods } from './binding.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { validateFunction, validateMillis } from './validate.js';

const { start: nativeStart } = nativeMethods(binding.Timer);

export class Timer extends handleClass(binding.Timer) {
  #callback: ((timer: this) => void) | undefined = undefined;

  static {
    binding.setCallback('timer', function (this: Timer) {
      if (#callback in this) this.#callback?.call(this, this);
    });
  }

  constructor(loop?: Loop) {
    super(resolveLoop(loop));
  }

  /**
   * Calls `callback(timer)` after `timeout` ms, then every `repeat` ms if repeat > 0. The timeout
   * counts from this call: the loop's cached time (`loop.now()`) is refreshed first.
   */
  start(callback: (timer: this) => void, timeout: number, repeat = 0): void {
    validateFunction(callback, 'callback');
    validateMillis(timeout, 'timeout');
    validateMillis(repeat, 'repeat');
    nativeStart.call(this, timeout, repeat);
    this.#callback = callback;
  }

  /**
   * Restarts a repeating timer with its repeat as timeout, counted from this call; UVError EINVAL
   * if never started.
   */
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
