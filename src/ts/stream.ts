/**
 * What TCP, Pipe and TTY share: reading, writing, shutdown, listen/accept. Each stream type is
 * `streamClass(binding.X)` plus its own methods.
 *
 * libuv completes a stream's writes, shutdowns and connects in the order they were started, so
 * their callbacks (and the written buffers, which this keeps alive until then) wait in FIFO
 * queues here and native code only reports each completion's status.
 */
import { AsyncResource } from 'node:async_hooks';
import { binding, type NativeStream, type NativeStreamReplaced } from './binding.js';
import { codes, handleClosed, invalidArgType, invalidArgValue, UVError } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { forEachCallback, handleClass, kClosed, type Handle } from './handle.js';
import { isNodeLoop, type Loop } from './loop.js';
import { validateBoolean, validateFunction, validateInteger, validateObject } from './validate.js';

const UV_EOF = codes.EOF as number;

/** What write() accepts: bytes, a UTF-8 string, or several of them as one vectored write. */
export type WriteData = Uint8Array | string | ReadonlyArray<Uint8Array | string>;

export type ReadCallback = (error: UVError | null, data: Buffer | null) => void;
export type StatusCallback = (error: UVError | null) => void;

export interface ReadOptions {
  /** Read into this buffer instead of fresh memory: `data` is then a view of it, valid until the callback returns. */
  buffer?: Uint8Array;
}

export interface ReaderOptions {
  /** Chunks buffered before reading pauses until the consumer catches up (default 16). */
  highWaterMark?: number;
}

export interface Stream extends Handle {
  startRead(callback: ReadCallback, options?: ReadOptions): void;
  stopRead(): void;
  write(data: WriteData, callback: StatusCallback): void;
  write(data: WriteData): Promise<void>;
  tryWrite(data: WriteData): number;
  shutdown(callback: StatusCallback): void;
  shutdown(): Promise<void>;
  listen(callback: StatusCallback, backlog?: number): void;
  accept(client: Stream): void;
  setBlocking(blocking: boolean): void;
  reader(options?: ReaderOptions): AsyncIterableIterator<Buffer>;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly writeQueueSize: number;
}

/**
 * A request's callback on Node's loop, with the async context of the call that made the request
 * (AsyncLocalStorage, async_hooks): it runs there, as Node's write/connect/send callbacks do.
 * libuv calls back in the handle's context, the one the handle was made in.
 */
class ScopedCallback extends AsyncResource {
  constructor(
    type: string,
    readonly callback: StatusCallback,
  ) {
    super(type);
  }
}

/** A queued request's completion: a callback, or a promise's settle functions. */
export type Completion = StatusCallback | ScopedCallback | { resolve: () => void; reject: (error: unknown) => void };

// Per-stream state, kept under a symbol so that the callbacks registered once for every stream
// type reach it (private fields would differ between the classes streamClass() makes).
export const kStream: unique symbol = Symbol('uvkit.stream');

/**
 * Writes made while an earlier write request is still in flight wait here and go to libuv as one
 * vectored write when it completes: many writes per tick cost one request and one writev.
 */
class WriteBatch {
  completions: Completion[] = [];
  buffers: Uint8Array[] = [];
  bytes = 0;

  add(bytes: Uint8Array | Uint8Array[], done: Completion): void {
    this.completions.push(done);
    if (Array.isArray(bytes)) {
      for (const b of bytes) {
        this.buffers.push(b);
        this.bytes += b.byteLength;
      }
    } else {
      this.buffers.push(bytes);
      this.bytes += bytes.byteLength;
    }
  }
}

export class StreamState {
  onRead: ReadCallback | undefined = undefined;
  readBuffer: Uint8Array | undefined = undefined;
  onConnection: StatusCallback | undefined = undefined;
  // Write requests in libuv: completion (one, or a batch's) and the data it pins, in pairs.
  writes: Array<Completion | Completion[] | Uint8Array | Uint8Array[]> = [];
  batch: WriteBatch | undefined = undefined;
  // On Node's loop, writes that went out at once in this tick: their completions run from one
  // nextTick, which also flushes the writes batched behind them (an automatic cork/uncork).
  doneThisTick: Completion[] | undefined = undefined;
  completeNow: (() => void) | undefined = undefined;
  shutdowns: Completion[] = [];
  readers = new Set<{ end(): void }>();
  connects: Array<{ completion: Completion; details: Record<string, unknown> }> = [];
}

interface StreamLike {
  [kStream]: StreamState;
}

/** Internal: write() with a handle to send (Pipe's public write() takes it). */
export const kWriteHandle: unique symbol = Symbol('uvkit.writeHandle');

/** Internal: hands a stream's batched writes to libuv. */
export const kFlush: unique symbol = Symbol('uvkit.flushWrites');
export interface WriteFlusher {
  [kFlush](): void;
}

export function complete(completion: Completion, status: number, syscall: string, details?: Record<string, unknown>): void {
  settle(completion, status < 0 ? new UVError(status, syscall, details) : null);
}

function settle(completion: Completion, error: UVError | null): void {
  if (typeof completion === 'function') completion(error);
  else if (completion instanceof ScopedCallback) completion.runInAsyncScope(completion.callback, undefined, error);
  else if (error === null) completion.resolve();
  else completion.reject(error);
}

/** Completes a request's callbacks (one, or a batch's, each even if an earlier one throws). */
export function completeAll(done: Completion | Completion[], error: UVError | null, handle: Handle): void {
  if (!Array.isArray(done)) return settle(done, error);
  forEachCallback(done, (one) => settle(one, error), handle);
}

/**
 * `callback` (on Node's loop with this call's async context: ScopedCallback), or a promise's settle
 * functions (the promise is returned through `out`; it resumes in the awaiting context by itself).
 */
export function completion(callback: StatusCallback | undefined, out: { promise?: Promise<void> }, loop: Loop, type: string): Completion {
  if (callback !== undefined) {
    validateFunction(callback, 'callback');
    if (!isNodeLoop(loop)) return callback;
    return new ScopedCallback(type, callback);
  }
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  out.promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  return settle;
}

/** write()'s argument as native code takes it: Uint8Array(s), strings encoded as UTF-8. */
export function toBytes(data: unknown): Uint8Array | Uint8Array[] {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Array.isArray(data)) {
    if (data.length === 0) throw invalidArgValue('data', data, 'must not be an empty array');
    return data.map((item: unknown) => {
      if (item instanceof Uint8Array) return item;
      if (typeof item === 'string') return Buffer.from(item, 'utf8');
      throw invalidArgType('data', 'a Uint8Array, a string, or an array of them', data);
    });
  }
  throw invalidArgType('data', 'a Uint8Array, a string, or an array of them', data);
}

// Writes that complete at once (on Node's loop) call back later, like Node's own: normally from a
// nextTick. Inside a stream callback (read, write, shutdown, connect, connection) they call back
// when that callback returns instead, which saves scheduling and running a tick per write: a
// ping-pong answers each read with a write.
let callbackDepth = 0;
// Pairs of (stream, its completion function), flat: no object per write.
let afterCallback: Array<Handle | (() => void)> = [];

/** Runs `run` (completing `stream`'s at-once writes) after the current stream callback, else from a nextTick. */
function completeSoon(stream: Handle, run: () => void): void {
  if (callbackDepth > 0) afterCallback.push(stream, run);
  else process.nextTick(run);
}

function takeAfterCallback(): Array<Handle | (() => void)> {
  const pending = afterCallback;
  afterCallback = [];
  return pending;
}

/**
 * Runs the body of a stream callback; then the completions it queued (see completeSoon). Written
 * out (no closure per call): it wraps every read.
 */
function inStreamCallback<S, A, B, C>(fn: (stream: S, a: A, b: B, c: C) => void, stream: S, a: A, b: B, c: C): void {
  callbackDepth++;
  try {
    fn(stream, a, b, c);
  } catch (error) {
    // The completions still run, from a nextTick; the callback's error propagates first.
    if (--callbackDepth === 0) {
      const pending = takeAfterCallback();
      for (let i = 1; i < pending.length; i += 2) process.nextTick(pending[i] as () => void);
    }
    throw error;
  }
  if (--callbackDepth === 0 && afterCallback.length > 0) runAfterCallback();
}

function runAfterCallback(): void {
  const pending = takeAfterCallback();
  if (pending.length === 2) return (pending[1] as () => void)();
  let errors: Array<{ stream: Handle; error: unknown }> | undefined;
  for (let i = 0; i < pending.length; i += 2) {
    try {
      (pending[i + 1] as () => void)();
    } catch (error) {
      (errors ??= []).push({ stream: pending[i] as Handle, error });
    }
  }
  if (errors === undefined) return;
  if (errors.length === 1) throw errors[0]!.error;
  for (const { stream, error } of errors) stream.loop.reportError(error, stream);
}

binding.setCallback('read', function (this: StreamLike, nread: unknown, slab: unknown, offset: unknown) {
  inStreamCallback(onReadEvent, this, nread as number, slab, offset as number);
});

function onReadEvent(stream: StreamLike, n: number, slab: unknown, offset: number): void {
  const state = stream[kStream];
  const onRead = state.onRead;
  if (n < 0) {
    state.onRead = undefined;
    state.readBuffer = undefined;
  }
  if (onRead === undefined) return;
  if (n > 0) {
    const data = slab !== undefined ? Buffer.from(slab as ArrayBuffer, offset, n) : toBuffer(state.readBuffer, n);
    onRead.call(stream, null, data);
  } else if (n === UV_EOF) {
    onRead.call(stream, null, null);
  } else {
    onRead.call(stream, new UVError(n, 'read'), null);
  }
}

function toBuffer(view: Uint8Array | undefined, length: number): Buffer {
  if (view === undefined) return Buffer.alloc(0);
  return Buffer.from(view.buffer, view.byteOffset, length);
}

binding.setCallback('write', function (this: StreamLike & WriteFlusher, status: unknown) {
  inStreamCallback(onWriteDone, this, status as number, undefined, undefined);
});

function onWriteDone(stream: StreamLike & WriteFlusher, status: number): void {
  const state = stream[kStream];
  const done = state.writes.shift() as Completion | Completion[];
  state.writes.shift(); // the data it pinned
  // The batch goes out first: its writes then keep their place even if a callback writes more.
  if (state.writes.length === 0 && state.batch !== undefined) stream[kFlush]();
  completeAll(done, status < 0 ? new UVError(status, 'write') : null, stream as unknown as Handle);
}

binding.setCallback('shutdown', function (this: StreamLike, status: unknown) {
  inStreamCallback(onShutdownDone, this, status as number, undefined, undefined);
});

function onShutdownDone(stream: StreamLike, status: number): void {
  const done = stream[kStream].shutdowns.shift();
  if (done !== undefined) complete(done, status, 'shutdown');
}

binding.setCallback('connect', function (this: StreamLike, status: unknown) {
  inStreamCallback(onConnectDone, this, status as number, undefined, undefined);
});

function onConnectDone(stream: StreamLike, status: number): void {
  const request = stream[kStream].connects.shift();
  if (request !== undefined) complete(request.completion, status, 'connect', request.details);
}

binding.setCallback('connection', function (this: StreamLike, status: unknown) {
  inStreamCallback(onConnectionEvent, this, status as number, undefined, undefined);
});

function onConnectionEvent(stream: StreamLike, status: number): void {
  stream[kStream].onConnection?.call(stream, status < 0 ? new UVError(status, 'listen') : null);
}

// Mixin constructors must take `any[]` (TypeScript's rule for mixins).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeStreamClass = new (...args: any[]) => NativeStream;

export function streamClass<TBase extends NativeStreamClass>(Base: TBase) {
  const native = Base.prototype as unknown as NativeStreamReplaced;

  abstract class StreamBase extends handleClass(Base) implements StreamLike, WriteFlusher {
    [kStream] = new StreamState();

    /**
     * Calls `callback(null, data)` for each chunk read, `callback(null, null)` at EOF and
     * `callback(error, null)` on a read error; reading stops after EOF or an error. Calling it again
     * while reading replaces the callback and the options.
     */
    startRead(callback: ReadCallback, options: ReadOptions = {}): void {
      validateFunction(callback, 'callback');
      validateObject(options, 'options');
      const buffer = options.buffer;
      if (buffer !== undefined && !(buffer instanceof Uint8Array)) throw invalidArgType('options.buffer', 'a Uint8Array', buffer);
      if (buffer !== undefined && buffer.byteLength === 0) throw invalidArgValue('options.buffer', buffer, 'must not be empty');
      native.startRead.call(this, buffer);
      const state = this[kStream];
      state.onRead = callback;
      state.readBuffer = buffer;
    }

    override stopRead(): void {
      super.stopRead();
      this[kStream].onRead = undefined;
    }

    /**
     * Writes `data` (zero-copy: the bytes stay where they are until written; do not change them
     * before the callback). Arrays go out as one vectored write. Throws when the stream refuses
     * the write outright (not connected, shut down, closed); later failures reach the callback.
     */
    write(data: WriteData, callback: StatusCallback): void;
    write(data: WriteData): Promise<void>;
    write(data: WriteData, callback?: StatusCallback): void | Promise<void> {
      return this[kWriteHandle](data, callback, undefined);
    }

    /** write() that also sends `sendHandle` (IPC pipes; Pipe#write checks its type, native code the rest). */
    [kWriteHandle](data: WriteData, callback: StatusCallback | undefined, sendHandle: Handle | undefined): void | Promise<void> {
      const bytes = toBytes(data);
      const out: { promise?: Promise<void> } = {};
      const done = completion(callback, out, this.loop, 'UVKIT_WRITE');
      const state = this[kStream];
      if (sendHandle !== undefined) {
        this[kFlush](); // batched writes go first
        native.write.call(this, bytes, sendHandle as unknown as NativeStream);
        state.writes.push(done, bytes);
      } else if (state.writes.length > 0 || state.doneThisTick !== undefined) {
        if (this.closing || this.closed) throw handleClosed();
        // What native write() would refuse now (after shutdown(), or a read error): refuse here too.
        if (!this.writable) throw new UVError(codes.EPIPE as number, 'write');
        (state.batch ??= new WriteBatch()).add(bytes, done);
      } else if (native.write.call(this, bytes) === 0) {
        this.#doneNow(state, [done]);
      } else {
        state.writes.push(done, bytes);
      }
      return out.promise;
    }

    // Writes that completed at once (only on Node's loop): their callbacks run together once the
    // current stream callback returns, else from one nextTick (completeSoon); the writes batched
    // meanwhile go out together first.
    #doneNow(state: StreamState, completions: Completion[]): void {
      if (state.doneThisTick !== undefined) {
        for (const done of completions) state.doneThisTick.push(done);
        return;
      }
      state.doneThisTick = completions;
      // One function per stream, made on its first write that went out at once.
      completeSoon(this, (state.completeNow ??= () => {
        const done = state.doneThisTick ?? [];
        state.doneThisTick = undefined;
        if (state.writes.length === 0) this[kFlush]();
        completeAll(done, null, this);
      }));
    }

    // Hands the batch to libuv as one write (from the write callback, or before a shutdown).
    [kFlush](): void {
      const state = this[kStream];
      const batch = state.batch;
      if (batch === undefined || this.closing || this.closed) return;
      state.batch = undefined;
      let queued: number;
      try {
        queued = native.write.call(this, batch.buffers);
      } catch (error) {
        for (const done of batch.completions) process.nextTick(settle, done, error as UVError);
        return;
      }
      if (queued === 1) state.writes.push(batch.completions, batch.buffers);
      else this.#doneNow(state, batch.completions);
    }

    /** Bytes waiting to be written: in libuv's queue and in the batch of writes not handed to it yet. */
    override get writeQueueSize(): number {
      return super.writeQueueSize + (this[kStream].batch?.bytes ?? 0);
    }

    // Writes still waiting in the batch when the handle closed never reached libuv: they fail with
    // ECANCELED as libuv's own queued writes do, after those
    // (libuv has called back its own cancelled requests by now), and before the close callbacks.
    // Readers waiting for data end.
    override [kClosed](): void {
      const state = this[kStream];
      const batch = state.batch;
      state.batch = undefined;
      for (const reader of state.readers) reader.end();
      state.readers.clear();
      let failure: { error: unknown } | undefined;
      try {
        if (batch !== undefined) completeAll(batch.completions, new UVError(codes.ECANCELED as number, 'write'), this);
      } catch (error) {
        failure = { error };
      }
      if (failure === undefined) return super[kClosed]();
      try {
        super[kClosed]();
      } catch (error) {
        this.loop.reportError(error, this); // the first error propagates, this one takes its own path
      }
      throw failure.error;
    }

    /** Writes what can be written now without blocking; returns the number of bytes (0: would block). */
    tryWrite(data: WriteData): number {
      const bytes = toBytes(data);
      if (this[kStream].batch !== undefined) return 0; // earlier writes go first
      return native.tryWrite.call(this, bytes);
    }

    /** Shuts the write side down once queued writes are done; the peer then reads EOF. */
    shutdown(callback: StatusCallback): void;
    shutdown(): Promise<void>;
    shutdown(callback?: StatusCallback): void | Promise<void> {
      const out: { promise?: Promise<void> } = {};
      const done = completion(callback, out, this.loop, 'UVKIT_SHUTDOWN');
      this[kFlush](); // batched writes go before the shutdown
      native.shutdown.call(this);
      this[kStream].shutdowns.push(done);
      return out.promise;
    }

    /** Listens; `callback(error)` runs for each incoming connection, to be taken with accept(). */
    listen(callback: StatusCallback, backlog = 511): void {
      validateFunction(callback, 'callback');
      validateInteger(backlog, 'backlog', 0, 2 ** 31 - 1);
      native.listen.call(this, backlog);
      this[kStream].onConnection = callback;
    }

    override accept(client: Stream): void {
      if (!(client instanceof StreamRoot)) throw invalidArgType('client', 'a TCP, Pipe or TTY handle', client);
      super.accept(client as unknown as NativeStream);
    }

    override setBlocking(blocking: boolean): void {
      validateBoolean(blocking, 'blocking');
      super.setBlocking(blocking);
    }

    /**
     * The stream's chunks as an async iterator. Reading pauses while `highWaterMark` chunks wait
     * for the consumer; the iteration ends at EOF and throws on a read error. Ending the loop
     * early (break) stops reading.
     */
    reader(options: ReaderOptions = {}): AsyncIterableIterator<Buffer> {
      validateObject(options, 'options');
      const highWaterMark = options.highWaterMark ?? 16;
      validateInteger(highWaterMark, 'options.highWaterMark', 1, 2 ** 31 - 1);
      return new StreamReader(this as unknown as Stream & StreamLike, highWaterMark);
    }
  }
  markStreamClass(StreamBase);
  return StreamBase;
}

// accept() checks its argument against every class streamClass() made.
const streamClasses = new Set<object>();
const StreamRoot = {
  [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    for (const cls of streamClasses) if (value instanceof (cls as new () => unknown)) return true;
    return false;
  },
};
function markStreamClass(cls: object): void {
  streamClasses.add(cls);
}

class StreamReader implements AsyncIterableIterator<Buffer> {
  #stream: Stream;
  #highWaterMark: number;
  #chunks: Buffer[] = [];
  #ended = false;
  #error: unknown = undefined;
  #reading = false;
  #waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined = undefined;

  #state: StreamState;

  constructor(stream: Stream & StreamLike, highWaterMark: number) {
    this.#stream = stream;
    this.#state = stream[kStream];
    this.#highWaterMark = highWaterMark;
    this.#state.readers.add(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.#chunks.length === 0) this.#resume(); // may find the stream closed: then it has ended
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#resume();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      this.#ended = true;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  /** The stream closed: no more data will come. */
  end(): void {
    this.#ended = true;
    this.#reading = false;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.#ended = true;
    this.#chunks = [];
    this.#pause();
    this.#state.readers.delete(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  #resume(): void {
    if (this.#reading || this.#ended || this.#error !== undefined || this.#chunks.length >= this.#highWaterMark) return;
    if (this.#stream.closed || this.#stream.closing) {
      this.#ended = true;
      return;
    }
    this.#reading = true;
    this.#stream.startRead((error, data) => this.#onRead(error, data));
  }

  #pause(): void {
    if (!this.#reading) return;
    this.#reading = false;
    if (!this.#stream.closed && !this.#stream.closing) this.#stream.stopRead();
  }

  #onRead(error: UVError | null, data: Buffer | null): void {
    if (data === null) {
      this.#reading = false;
      if (error !== null) this.#error = error;
      else this.#ended = true;
    } else {
      this.#chunks.push(data);
      if (this.#chunks.length >= this.#highWaterMark) this.#pause();
    }
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    this.next().then(waiting.resolve, waiting.reject);
  }
}
