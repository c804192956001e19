/**
 * Loop: Node's loop of the current thread ({@link Loop.default}) or a private loop you run
 * yourself (`run()`), in a worker, or embedded in Node's loop (`embed()`).
 */
import { binding } from './binding.js';
import { constants, type RunMode } from './constants.js';
import { invalidArgType, invalidArgValue } from './errors.js';
import type { Handle } from './handle.js';
import { queueWork, type WorkCallback, type WorkRequest, type WorkTask } from './work.js';
import { validateBoolean, validateObject } from './validate.js';

let creatingDefault = false;
let defaultLoop: Loop | undefined;
const privateLoops = new Set<WeakRef<Loop>>();

/** Loop metrics; `loopCount` and `events` need libuv >= 1.45 (`features.metricsInfo`). */
export interface LoopMetrics {
  /** Milliseconds the loop spent blocked in the kernel waiting for events. */
  idleTime: number;
  loopCount?: number;
  events?: number;
  eventsWaiting?: number;
}

/** Options of {@link Loop.embed}. */
export interface EmbedOptions {
  /**
   * Wait for the loop's events on a helper thread instead of polling its backend fd from Node's
   * loop. The helper thread is always used where the backend fd cannot be polled (Windows).
   */
  thread?: boolean;
}

export class Loop extends binding.Loop {
  /** Handles of uvkit on this loop that are not closed yet (closing ones included). */
  declare readonly handles: Handle[];
  /**
   * Called with errors thrown by callbacks of this loop's handles (pyuv's excepthook). Without it
   * a private loop's run() rethrows the error; on Node's loop it becomes an uncaught exception.
   */
  declare onError: ((error: unknown, handle: Handle | null) => void) | null;

  /** A new private loop. Node's loop is {@link Loop.default}. */
  constructor() {
    super(creatingDefault);
    if (!creatingDefault) privateLoops.add(new WeakRef(this));
  }

  /** Node's loop of the current thread (main or worker); the same object on every call. */
  static default(): Loop {
    if (defaultLoop === undefined) {
      creatingDefault = true;
      try {
        defaultLoop = new Loop();
      } finally {
        creatingDefault = false;
      }
    }
    return defaultLoop;
  }

  /**
   * Runs a private loop: 'default' until no referenced work remains (or stop()), 'once' blocks
   * for one round of I/O, 'nowait' polls once without blocking. Returns true if work remains.
   * Throws ERR_LOOP_EXTERNAL on Node's loop and ERR_LOOP_RUNNING inside its own callbacks; rethrows
   * the first error a callback threw (see {@link Loop.onError}).
   */
  override run(mode: RunMode = 'default'): boolean {
    if (typeof mode !== 'string') throw invalidArgType('mode', "one of 'default', 'once', 'nowait'", mode);
    const value = Object.hasOwn(constants.runMode, mode) ? constants.runMode[mode] : undefined;
    if (value === undefined) throw invalidArgValue('mode', mode, "must be one of 'default', 'once', 'nowait'");
    return super.run(value);
  }

  /**
   * Drives this private loop from Node's loop without blocking it: its callbacks run from Node's
   * loop (errors go to onError, else to 'uncaughtException'), and Node's loop stays alive while
   * this one has referenced work. Idempotent; {@link Loop.unembed} stops it, close() ends it.
   */
  override embed(options: EmbedOptions = {}): void {
    validateObject(options, 'options');
    const thread = options.thread === undefined ? false : options.thread;
    validateBoolean(thread, 'options.thread');
    super.embed(thread);
  }

  override metrics(): LoopMetrics {
    return super.metrics();
  }

  /** Closes every handle, runs until their close callbacks ran, then closes the loop. Idempotent. */
  override close(): void {
    super.close();
  }

  /**
   * Runs a built-in task (`work.sleep()`, `work.checksum()`, ...) on libuv's thread pool; its
   * callback runs on this loop's thread. Returns a cancellable {@link WorkRequest}, or without a
   * callback a promise. On a private loop the callback runs inside run(); close() waits for it.
   */
  queueWork<T>(task: WorkTask<T>, callback: WorkCallback<T>): WorkRequest<T>;
  queueWork<T>(task: WorkTask<T>): Promise<T>;
  queueWork<T>(task: WorkTask<T>, callback?: WorkCallback<T>): WorkRequest<T> | Promise<T> {
    return queueWork(this, task, callback);
  }

  [Symbol.dispose](): void {
    if (!this.isDefault) this.close();
  }
}

/** Private loops that are still open (for the test harness; not part of the public API). */
export function openPrivateLoops(): Loop[] {
  const open: Loop[] = [];
  for (const ref of privateLoops) {
    const loop = ref.deref();
    if (loop === undefined || loop.closed) privateLoops.delete(ref);
    else open.push(loop);
  }
  return open;
}

/**
 * @internal True for the object of Node's loop ({@link Loop.default}); unlike `loop.isDefault` no
 * native call, and unlike comparing with Loop.default() it does not create that object.
 */
export function isNodeLoop(loop: Loop): boolean {
  return loop === defaultLoop;
}
