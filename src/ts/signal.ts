/** Signal: watch a POSIX signal on a loop. libuv delivers it to every loop that watches it. */
import { binding, nativeMethods } from './binding.js';
import { constants } from './constants.js';
import { invalidArgType, unknownSignal } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { validateFunction, validateInteger } from './validate.js';

/** A signal number, or a name such as 'SIGINT'. */
export type SignalName = NodeJS.Signals | number;

/** The platform's number for a signal name or number (RangeError / ERR_UNKNOWN_SIGNAL otherwise). */
export function signalNumber(signal: unknown, name = 'signum'): number {
  if (typeof signal === 'string') {
    const value = Object.hasOwn(constants.signals, signal) ? constants.signals[signal] : undefined;
    if (value === undefined) throw unknownSignal(signal);
    return value;
  }
  if (typeof signal !== 'number') throw invalidArgType(name, 'of type number or string', signal);
  validateInteger(signal, name, 1, 64);
  return signal;
}

const { start: nativeStart, startOneshot: nativeStartOneshot } = nativeMethods(binding.Signal);

export class Signal extends handleClass(binding.Signal) {
  #callback: ((this: this, signum: number) => void) | undefined = undefined;

  static {
    binding.setCallback('signal', function (this: Signal, signum: unknown) {
      if (#callback in this) this.#callback?.call(this, signum as number);
    });
  }

  constructor(loop?: Loop) {
    super(resolveLoop(loop));
  }

  /** Calls `callback(signum)` each time the signal arrives, until stop(). */
  start(callback: (this: this, signum: number) => void, signum: SignalName): void {
    validateFunction(callback, 'callback');
    nativeStart.call(this, signalNumber(signum));
    this.#callback = callback;
  }

  /** Like start(), but stops itself after the first delivery. */
  startOneshot(callback: (this: this, signum: number) => void, signum: SignalName): void {
    validateFunction(callback, 'callback');
    nativeStartOneshot.call(this, signalNumber(signum));
    this.#callback = callback;
  }
}
