/**
 * FSPoll: watches a path by stat'ing it every `interval` ms on the thread pool (uv_fs_poll_t), for
 * file systems where FSEvent sees nothing (network mounts) or when the stat itself matters. Like
 * Node's fs.watchFile.
 */
import { binding, nativeMethods } from './binding.js';
import { invalidArgType, outOfRange, UVError } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { STAT_FIELDS, Stats } from './stats.js';
import { validateFunction, validatePath } from './validate.js';

/**
 * Called when the stat changed (size, times, mode, owner, inode...) or when stat'ing starts or
 * stops failing. `error` is that failure (syscall 'stat', with `path`: ENOENT while the path is
 * missing), reported once; its `curr` is all zeros, as in Node's fs.watchFile. `prev` is the last
 * stat seen (zeros before any).
 */
export type FSPollCallback = (this: FSPoll, error: UVError | null, prev: Stats, curr: Stats) => void;

/** uv_fs_poll_start takes an unsigned int of milliseconds. */
const MAX_INTERVAL = 2 ** 32 - 1;

function validateInterval(value: unknown): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType('interval', 'of type number', value);
  if (!Number.isFinite(value) || value < 0 || value > MAX_INTERVAL) throw outOfRange('interval', `>= 0 and <= ${MAX_INTERVAL}`, value);
}

const { start: nativeStart } = nativeMethods(binding.FSPoll);

export class FSPoll extends handleClass(binding.FSPoll) {
  #callback: FSPollCallback | undefined = undefined;
  #startedPath = '';

  static {
    binding.setCallback('fsPoll', function (this: FSPoll, status: unknown, values: unknown) {
      if (!(#callback in this)) return;
      const stats = values as Float64Array;
      const error = (status as number) < 0 ? new UVError(status as number, 'stat', { path: this.#startedPath }) : null;
      this.#callback?.call(this, error, new Stats(stats, 0), new Stats(stats, STAT_FIELDS));
    });
  }

  constructor(loop?: Loop) {
    super(resolveLoop(loop));
  }

  /**
   * Stats `path` every `interval` milliseconds (fractions round up; 0 means as often as libuv can,
   * every 1 ms) and calls `callback(error, prev, curr)` on each change until stop(). The first
   * stat only sets the baseline, unless it fails: then the callback runs at once with the error.
   * Starting again replaces the watch.
   */
  start(path: string, interval: number, callback: FSPollCallback): void {
    validatePath(path, 'path');
    validateInterval(interval);
    validateFunction(callback, 'callback');
    try {
      nativeStart.call(this, path, interval);
    } catch (error) {
      if (error instanceof UVError && error.syscall === 'watch') throw new UVError(error.errno, 'watch', { path });
      throw error;
    }
    this.#callback = callback;
    this.#startedPath = path;
  }

  /** The watched path, null when not started. */
  override get path(): string | null {
    return super.path;
  }
}
