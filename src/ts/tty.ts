/** TTY: a terminal as a stream (uv_tty_t): modes, window size. */
import { binding, nativeMethods } from './binding.js';
import { invalidArgValue } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
// kFlush is named in the emitted declarations of the stream mixin.
import { streamClass, type kFlush, type kStream, type kWriteHandle, type Stream } from './stream.js';
import { validateBoolean, validateInteger } from './validate.js';

export type TTYMode = 'normal' | 'raw' | 'io';
const modes: Record<TTYMode, number> = { normal: 0, raw: 1, io: 2 };

const native = nativeMethods(binding.TTY);

export class TTY extends streamClass(binding.TTY) implements Stream {
  /** `new TTY(fd, readable?)` on Loop.default(), or `new TTY(loop, fd, readable?)`. */
  constructor(fd: number, readable?: boolean);
  constructor(loop: Loop | undefined, fd: number, readable?: boolean);
  constructor(first: Loop | number | undefined, second?: number | boolean, third?: boolean) {
    const [loop, fd, readable = false] = typeof first === 'number' ? [undefined, first, second] : [first, second, third];
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    validateBoolean(readable, 'readable');
    super(resolveLoop(loop), fd, readable);
  }

  /** 'normal', 'raw' (no line editing or echo), or 'io' (raw, for child process pipes; Windows). */
  setMode(mode: TTYMode): void {
    const value = typeof mode === 'string' && Object.hasOwn(modes, mode) ? modes[mode] : undefined;
    if (value === undefined) throw invalidArgValue('mode', mode, "must be 'normal', 'raw' or 'io'");
    native.setMode.call(this, value);
  }

  /** Restores the terminal mode saved by the first setMode() away from 'normal' (process-wide). */
  static override resetMode(): void {
    binding.TTY.resetMode();
  }
}

