/**
 * FSEvent: changes to a file or directory as the system reports them (uv_fs_event_t: inotify on
 * Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows, kqueue elsewhere).
 */
import { binding, nativeMethods } from './binding.js';
import { UVError } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { validateBoolean, validateFunction, validateObject, validatePath } from './validate.js';

export interface FSEventOptions {
  /**
   * Report changes in subdirectories too. Only macOS and Windows can (`features.fsEventRecursive`);
   * elsewhere start() throws a UVError ENOSYS: watch each directory with its own FSEvent instead.
   */
  recursive?: boolean;
}

/**
 * `events` is a mask of `constants.fsEvent.RENAME` (created, deleted or moved) and `CHANGE`
 * (content or attributes). `filename` is the entry that changed, relative to a watched directory
 * (or the file's own name when a file is watched), null when the system does not say.
 */
export type FSEventCallback = (this: FSEvent, error: UVError | null, filename: string | null, events: number) => void;

const { start: nativeStart } = nativeMethods(binding.FSEvent);

// ENOSYS for `recursive` says why (the stack, captured with the first message, too: Node prints it).
function watchError(errno: number, path: string, recursive: boolean): UVError {
  const error = new UVError(errno, 'watch', { path });
  if (recursive && error.code === 'ENOSYS') {
    const plain = error.message;
    const stack = error.stack; // read first: V8 formats it on first access
    error.message += ' (options.recursive: this platform watches one directory level only, see features.fsEventRecursive)';
    if (stack !== undefined) error.stack = stack.replace(plain, error.message);
  }
  return error;
}

export class FSEvent extends handleClass(binding.FSEvent) {
  #callback: FSEventCallback | undefined = undefined;
  #startedPath = '';

  static {
    binding.setCallback('fsEvent', function (this: FSEvent, status: unknown, filename: unknown, events: unknown) {
      if (!(#callback in this)) return;
      const error = (status as number) < 0 ? new UVError(status as number, 'watch', { path: this.#startedPath }) : null;
      this.#callback?.call(this, error, filename as string | null, events as number);
    });
  }

  constructor(loop?: Loop) {
    super(resolveLoop(loop));
  }

  /**
   * Watches `path` (a file or a directory) and calls `callback(error, filename, events)` for each
   * change until stop(). Starting again replaces the watch (the old one stops even if the new one
   * fails). Fails with a UVError (syscall 'watch', with `path`): ENOENT for a missing path.
   */
  start(path: string, callback: FSEventCallback): void;
  start(path: string, options: FSEventOptions, callback: FSEventCallback): void;
  start(path: string, second: FSEventOptions | FSEventCallback, third?: FSEventCallback): void {
    const [options, callback] = typeof second === 'function' ? [{}, second] : [second, third];
    validatePath(path, 'path');
    validateObject(options, 'options');
    const { recursive = false } = options;
    validateBoolean(recursive, 'options.recursive');
    validateFunction(callback, 'callback');
    try {
      nativeStart.call(this, path, recursive);
    } catch (error) {
      if (error instanceof UVError && error.syscall === 'watch') throw watchError(error.errno, path, recursive);
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
