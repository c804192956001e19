/**
 * The JS side of fs requests: numbered slots (the native pool of src/native/fs.h is indexed by
 * them), the request objects waiting in them, and the delivery of completions, which native code
 * hands over once per loop iteration for every request that finished (src/native/fs_queue.h).
 */
import { AsyncResource } from 'node:async_hooks';
import { binding } from './binding.js';
import { callSoon } from './defer.js';
import { UVError } from './errors.js';
import type { Loop } from './loop.js';

/** Doubles per completion record: slot, result, then up to a stat's values (src/native/fs.h). */
const RECORD_STRIDE = binding.fsRecordStride;

/**
 * Turns a successful result into what the caller gets: `result` is libuv's number, `values` /
 * `at` the numbers native code wrote (stat fields), `extra` a string or entry list.
 */
export type Convert<T> = (result: number, values: Float64Array, at: number, extra: unknown) => T;

export type FsCallback<T> = (err: UVError | null, value?: T) => void;

/** Numbers of sync calls (stat fields, the fd of mkstemp) land here. */
export const syncValues = new Float64Array(RECORD_STRIDE);
binding.fsInit(syncValues);

// The requests in flight, by slot, in an array of their loop's: a private loop collected with
// requests in flight (nothing can run it any more) takes them along, with their callbacks and
// buffers. Native code drops those requests and hands their slots back (fsTakeDropped), which is
// asked for when the free list runs out.
const kPending: unique symbol = Symbol('uvkit.fsPending');
type LoopWithPending = Loop & { [kPending]?: Array<FsRequest<unknown> | undefined> };
const inUse: boolean[] = []; // by slot: handed out by this module and not back yet
const freeSlots: number[] = [];

function takeSlot(): number {
  if (freeSlots.length === 0) takeDroppedSlots();
  return freeSlots.length > 0 ? freeSlots.pop()! : inUse.length;
}

function takeDroppedSlots(): void {
  for (const slot of binding.fsTakeDropped()) {
    // Only slots handed out here (one of a request started through the raw binding is not ours).
    if (inUse[slot] !== true) continue;
    inUse[slot] = false;
    freeSlots.push(slot);
  }
}

/** @internal For tests: how many slots this module has numbered (the highest handed out + 1). */
export function slotCount(): number {
  return inUse.length;
}

function pendingOf(loop: Loop): Array<FsRequest<unknown> | undefined> {
  let pending = (loop as LoopWithPending)[kPending];
  if (pending === undefined) {
    pending = [];
    Object.defineProperty(loop, kPending, { value: pending }); // not enumerable: not in inspect(loop)
  }
  return pending;
}

/**
 * A started fs request. The callback form returns it; `cancel()` asks libuv to take it back,
 * which succeeds while it still waits for a thread-pool thread (the callback then gets ECANCELED).
 */
export class FsRequest<T = unknown> {
  #slot = -1;
  /** @internal */ convert: Convert<T>;
  /** @internal */ syscall: string;
  /** @internal */ path: string | undefined;
  /** @internal */ dest: string | undefined;
  /** @internal The caller's buffer(s) of a read or write: kept alive, and given to the callback. */ pin: unknown;
  /** @internal The copied array of views of a vectored read or write, which native code reads. */ views: unknown = undefined;
  /** @internal */ callback: FsCallback<T> | undefined;
  /**
   * @internal The caller's async context, for a callback on Node's loop: it runs there, as Node's
   * fs callbacks do (AsyncLocalStorage, async_hooks). Inside a private loop's run() the callback
   * runs in the context of run()'s caller, as every callback of that loop does.
   */
  scope: AsyncResource | undefined = undefined;
  /** @internal */ resolve: ((value: T) => void) | undefined = undefined;
  /** @internal */ reject: ((error: unknown) => void) | undefined = undefined;

  /** @internal */
  constructor(syscall: string, convert: Convert<T>, path: string | undefined, dest: string | undefined, pin: unknown, callback: FsCallback<T> | undefined) {
    this.syscall = syscall;
    this.convert = convert;
    this.path = path;
    this.dest = dest;
    this.pin = pin;
    this.callback = callback;
  }

  /** True when the request was cancelled (its callback gets an ECANCELED error). */
  cancel(): boolean {
    return this.#slot >= 0 && binding.fsCancel(this.#slot);
  }

  /** @internal Starts the operation in a free slot; a refusal is reported like a failure. */
  start(op: number, loop: Loop, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown): void {
    const slot = takeSlot();
    if (Array.isArray(b)) this.views = b; // the views libuv uses must outlive any change to the caller's array
    let status: number;
    try {
      status = binding.fsCall(op, slot, loop, a, b, c, d, e) as number;
    } catch (error) {
      if (slot < inUse.length) freeSlots.push(slot); // nothing started: the slot stays free
      throw error;
    }
    if (status < 0) {
      if (slot < inUse.length) freeSlots.push(slot);
      callSoon(loop, () => this.complete(status, syncValues, 0, undefined));
      return;
    }
    this.#slot = slot;
    inUse[slot] = true;
    pendingOf(loop)[slot] = this as FsRequest<unknown>;
  }

  /** @internal */
  complete(result: number, values: Float64Array, at: number, extra: unknown): void {
    this.#slot = -1;
    const pin = this.pin;
    this.pin = undefined;
    this.views = undefined;
    if (result < 0) {
      this.fail(this.error(result));
      return;
    }
    const value = this.convert(result, values, at, extra);
    // Node's read / write callbacks also receive the buffer (third argument).
    if (this.callback !== undefined) this.call(null, value, pin);
    else this.resolve!(value);
  }

  private call(err: UVError | null, value?: T, pin?: unknown): void {
    const callback = this.callback as (err: UVError | null, value?: T, pin?: unknown) => void;
    if (this.scope === undefined) callback(err, value, pin);
    else if (err !== null) this.scope.runInAsyncScope(callback, undefined, err);
    else this.scope.runInAsyncScope(callback, undefined, err, value, pin);
  }

  /** @internal */
  error(errno: number): UVError {
    return new UVError(errno, this.syscall, { path: this.path, dest: this.dest });
  }

  /** @internal */
  fail(error: UVError): void {
    if (this.callback !== undefined) this.call(error);
    else this.reject!(error);
  }
}

// One call per loop iteration with every request of that loop that finished. Each callback runs
// even if an earlier one threw; errors take the path of callback errors (run() rethrows, onError,
// or 'uncaughtException'), none is lost.
binding.setCallback('fsDone', function (this: Loop, count: number, records: Float64Array, extras: unknown[] | undefined) {
  let errors: unknown[] | undefined;
  const pending = (this as LoopWithPending)[kPending];
  for (let i = 0; i < count; i++) {
    const at = i * RECORD_STRIDE;
    const slot = records[at]!;
    const request = pending?.[slot];
    // A slot this module did not hand out (a request started through the raw binding) is not
    // added to the free list: it could be handed out twice, or grow `inUse` to its number.
    if (request === undefined) continue;
    pending![slot] = undefined;
    inUse[slot] = false;
    freeSlots.push(slot);
    try {
      request.complete(records[at + 1]!, records, at + 2, extras?.[i]);
    } catch (error) {
      (errors ??= []).push(error);
    }
  }
  if (errors === undefined) return;
  // Reported, not thrown, even when there is one: a throw names this call's receiver (the loop) as
  // the failing handle, while these errors belong to no handle (onError gets null for all of them).
  for (const error of errors) this.reportError(error);
});
