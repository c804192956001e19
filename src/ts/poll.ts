/**
 * Poll: readiness of an fd you own (uv_poll_t), for sockets that no other handle reads: a socket
 * from another library, a pidfd, a device. Events are the `constants.poll` flags.
 *
 * The Poll watches its own duplicate of the fd, so closing or reusing your fd while the Poll runs
 * cannot make libuv abort (it would register a dead fd); the underlying socket then stays open
 * until the Poll closes too. A second Poll for an fd that has one on the same loop is refused
 * with a UVError EEXIST.
 */
import { binding, nativeMethods } from './binding.js';
import { UVError } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { validateFunction, validateInteger } from './validate.js';

/** `error` is set (syscall 'poll') when libuv saw an error on the fd; the Poll has stopped then. */
export type PollCallback = (this: Poll, error: UVError | null, events: number) => void;

/** READABLE | WRITABLE | DISCONNECT | PRIORITIZED. */
const ALL_EVENTS = 15;

const { start: nativeStart } = nativeMethods(binding.Poll);

export class Poll extends handleClass(binding.Poll) {
  #callback: PollCallback | undefined = undefined;

  static {
    binding.setCallback('poll', function (this: Poll, status: unknown, events: unknown) {
      if (!(#callback in this)) return;
      const error = (status as number) < 0 ? new UVError(status as number, 'poll') : null;
      this.#callback?.call(this, error, events as number);
    });
  }

  /**
   * `new Poll(fd)` on Loop.default(), or `new Poll(loop, fd)`. The fd is made non-blocking (by
   * libuv). A closed fd is a UVError EBADF, a regular file EPERM (epoll cannot watch it).
   */
  constructor(fd: number);
  constructor(loop: Loop | undefined, fd: number);
  constructor(first: Loop | number | undefined, second?: number) {
    const [loop, fd] = typeof first === 'number' ? [undefined, first] : [first, second];
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    super(resolveLoop(loop), fd);
  }

  /**
   * Calls `callback(error, events)` when the fd is ready for any of `events` (a non-empty mask of
   * `constants.poll` flags; `stop()` stops). Starting again changes the mask and the callback.
   */
  start(events: number, callback: PollCallback): void {
    validateInteger(events, 'events', 1, ALL_EVENTS);
    validateFunction(callback, 'callback');
    nativeStart.call(this, events);
    this.#callback = callback;
  }

  /** The fd given to the constructor (not the duplicate libuv watches). */
  override fileno(): number {
    return super.fileno();
  }
}
