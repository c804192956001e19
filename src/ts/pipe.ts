/**
 * Pipe: Unix domain sockets (named pipes on Windows) by path or Linux abstract name (a leading
 * '\0'), pipes and FIFOs opened by fd, and IPC pipes that pass TCP, Pipe and UDP handles along with data.
 */
import { binding, nativeMethods } from './binding.js';
import { invalidArgType, invalidArgValue } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
// kFlush is named in the emitted declarations of the stream mixin.
import { completion, kStream, kWriteHandle, streamClass, type kFlush, type StatusCallback, type Stream, type WriteData } from './stream.js';
import { TCP } from './tcp.js';
import { UDP } from './udp.js';
import { validateBoolean, validateInteger, validateObject } from './validate.js';

export interface PipeOptions {
  /** An IPC pipe: write() can send a handle, the peer takes it with accept(). */
  ipc?: boolean;
}

/** A libuv handle type number (see constants.handleType). */
export type HandleType = number;

const native = nativeMethods(binding.Pipe);
const nativeAccept = binding.Pipe.prototype.accept as unknown as (this: Pipe, client: UDP) => void;

function validateName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (name.length === 0) throw invalidArgValue('name', name, 'must not be empty');
  if (name[0] !== '\0' && name.includes('\0')) throw invalidArgValue('name', name, 'must not contain NUL bytes (except a leading one: an abstract name)');
}

export class Pipe extends streamClass(binding.Pipe) implements Stream {
  constructor(loop?: Loop, options: PipeOptions = {}) {
    validateObject(options, 'options');
    const { ipc = false } = options;
    validateBoolean(ipc, 'options.ipc');
    super(resolveLoop(loop), ipc);
  }

  /** Binds to a path, or to a Linux abstract name ('\0name'). */
  bind(name: string): void {
    validateName(name);
    native.bind.call(this, name);
  }

  /** Connects to a path or abstract name; `callback(error)` (or the promise) tells how it went. */
  connect(name: string, callback: StatusCallback): void;
  connect(name: string): Promise<void>;
  connect(name: string, callback?: StatusCallback): void | Promise<void> {
    validateName(name);
    const out: { promise?: Promise<void> } = {};
    const done = completion(callback, out, this.loop, 'UVKIT_PIPECONNECT');
    native.connect.call(this, name);
    this[kStream].connects.push({ completion: done, details: { address: name } });
    return out.promise;
  }

  /**
   * Writes `data`; on an IPC pipe `sendHandle` (an open TCP, Pipe or UDP of this loop) goes with it.
   * Close your copy once the callback ran if you no longer need it.
   */
  override write(data: WriteData, callback: StatusCallback, sendHandle?: Stream | UDP): void;
  override write(data: WriteData): Promise<void>;
  override write(data: WriteData, callback?: StatusCallback, sendHandle?: Stream | UDP): void | Promise<void> {
    if (sendHandle !== undefined && !(sendHandle instanceof TCP || sendHandle instanceof Pipe || sendHandle instanceof UDP)) {
      throw invalidArgType('sendHandle', 'a TCP, Pipe or UDP handle', sendHandle);
    }
    return this[kWriteHandle](data, callback, sendHandle);
  }

  /** Takes a pending connection, or on an IPC pipe the next received handle (into a new handle of pendingHandleType()). */
  override accept(client: Stream | UDP): void {
    if (client instanceof UDP) nativeAccept.call(this, client);
    else super.accept(client);
  }

  /** Adopts an open pipe, FIFO, Unix socket or terminal; a regular file is refused. */
  override open(fd: number): void {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    super.open(fd);
  }

  override pendingInstances(count: number): void {
    validateInteger(count, 'count', 1, 2 ** 31 - 1);
    super.pendingInstances(count);
  }

  /** The type of the next handle received on an IPC pipe: constants.handleType.TCP, .NAMED_PIPE, .UDP, or .UNKNOWN_HANDLE. */
  override pendingHandleType(): HandleType {
    return super.pendingHandleType();
  }

  /** Makes the bound socket readable and/or writable by everyone ('r', 'w' or 'rw'). */
  chmod(mode: 'r' | 'w' | 'rw'): void {
    const flags = mode === 'r' ? 1 : mode === 'w' ? 2 : mode === 'rw' ? 3 : undefined;
    if (flags === undefined) throw invalidArgValue('mode', mode, "must be 'r', 'w' or 'rw'");
    native.chmod.call(this, flags);
  }
}

