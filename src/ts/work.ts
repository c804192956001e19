/**
 * Work on libuv's thread pool: built-in native tasks (JS cannot run there) queued with
 * `loop.queueWork(task, cb?)`. Tasks work on the caller's buffers in place (no copy); a buffer is
 * held until its task is done, and must not be changed meanwhile.
 */
import { binding } from './binding.js';
import { UVError, codes, invalidArgType, invalidArgValue } from './errors.js';
import type { Loop } from './loop.js';
import { callbackOrPromise, PoolRequest, type RequestCallback } from './pool_request.js';
import { validateFunction, validateInteger, validateObject, validateView } from './validate.js';

export type WorkCallback<T> = RequestCallback<T>;
export type ChecksumAlgorithm = 'crc32c' | 'crc32';

/** What `work.hashFile()` gives: the checksum of the bytes read, and how many were read. */
export interface FileHash {
  checksum: number;
  bytes: number;
}

export interface HashFileOptions {
  /** 'crc32c' (the default) or 'crc32'. */
  algorithm?: ChecksumAlgorithm;
  /** Where to start reading (default 0). */
  offset?: number;
  /** Bytes to read at most (default: to the end of the file). */
  length?: number;
}

const Tasks = { sleep: 0, checksum: 1, copy: 2, fill: 3, hashFile: 4 } as const;
const ALGORITHMS: Readonly<Record<ChecksumAlgorithm, number>> = { crc32c: 0, crc32: 1 };

/** A task to queue with `loop.queueWork()`; made by the functions of {@link work}. Reusable. */
export class WorkTask<T> {
  /** @internal */ readonly task: number;
  /** @internal */ readonly args: readonly unknown[];
  /** The task's name ('sleep', 'checksum', ...). */
  readonly name: string;

  /** @internal */
  constructor(name: keyof typeof Tasks, args: unknown[]) {
    this.name = name;
    this.task = Tasks[name];
    this.args = Object.freeze(args);
  }

  /** @internal Type-level only: the result type. */
  declare readonly __result?: T;
}

/** A queued task. `cancel()` takes it back while it waits for a thread: its callback gets ECANCELED. */
export class WorkRequest<T> extends PoolRequest<T> {}

function validateAlgorithm(algorithm: unknown, name: string): number {
  if (typeof algorithm !== 'string' || !Object.hasOwn(ALGORITHMS, algorithm)) {
    throw invalidArgValue(name, algorithm, "must be 'crc32c' or 'crc32'");
  }
  return ALGORITHMS[algorithm as ChecksumAlgorithm];
}

/** The built-in tasks. Each only describes the work; `loop.queueWork(task)` runs it. */
export const work = Object.freeze({
  /** Holds a pool thread for `ms` milliseconds (a stand-in for blocking work; resolves undefined). */
  sleep(ms: number): WorkTask<undefined> {
    validateInteger(ms, 'ms', 0, 2 ** 31 - 1);
    return new WorkTask('sleep', [ms]);
  },
  /**
   * The CRC-32C (Castagnoli: iSCSI, ext4; SSE 4.2 where the CPU has it) or CRC-32 (IEEE: zlib, gzip)
   * of the bytes, continuing from `initial` (the checksum of what came before; default 0).
   */
  checksum(buffer: ArrayBufferView, algorithm: ChecksumAlgorithm = 'crc32c', initial = 0): WorkTask<number> {
    validateView(buffer, 'buffer');
    const code = validateAlgorithm(algorithm, 'algorithm');
    validateInteger(initial, 'initial', 0, 2 ** 32 - 1);
    return new WorkTask('checksum', [buffer, code, initial]);
  },
  /** Copies `source` into `target` (as many bytes as both have; they may overlap): resolves the count. */
  copy(target: ArrayBufferView, source: ArrayBufferView): WorkTask<number> {
    validateView(target, 'target');
    validateView(source, 'source');
    return new WorkTask('copy', [target, source]);
  },
  /** Sets every byte of `buffer` to `value` (0..255): resolves the count. */
  fill(buffer: ArrayBufferView, value: number): WorkTask<number> {
    validateView(buffer, 'buffer');
    validateInteger(value, 'value', 0, 255);
    return new WorkTask('fill', [buffer, value]);
  },
  /**
   * Reads the file `fd` (from `offset`, `length` bytes or to the end) in a pool thread and
   * checksums it: resolves `{ checksum, bytes }`. A read error is a UVError (syscall 'read').
   */
  hashFile(fd: number, options: HashFileOptions = {}): WorkTask<FileHash> {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    validateObject(options, 'options');
    const { algorithm = 'crc32c', offset = 0, length } = options;
    const code = validateAlgorithm(algorithm, 'options.algorithm');
    validateInteger(offset, 'options.offset', 0, Number.MAX_SAFE_INTEGER);
    if (length !== undefined) validateInteger(length, 'options.length', 0, Number.MAX_SAFE_INTEGER);
    return new WorkTask('hashFile', [fd, code, offset, length ?? -1]);
  },
});

/**
 * The C ABI for other native addons (include/uvkit.h): an External that points at a `uvkit_abi`
 * table. Pass it to your addon, read it with napi_get_value_external, and queue your own C work on
 * libuv's thread pool for a uvkit Loop with uvkit's lifetime rules.
 */
export const nativeAbi: object = binding.nativeAbi;

// The error of a failed task. A hashFile that failed to read says 'read'; a cancelled task says
// 'queueWork'. (Two functions made once: a round trip is a few microseconds, a closure per call
// shows in it.)
const taskError = (status: number): UVError => new UVError(status, 'queueWork');
const hashFileError = (status: number): UVError => new UVError(status, status !== codes.ECANCELED ? 'read' : 'queueWork');

function startWork<T>(loop: Loop, task: WorkTask<T>, callback: WorkCallback<T>): WorkRequest<T> {
  const { args } = task; // at most four (hashFile); the native side reads them by position
  const id = binding.work.queue(loop, task.task, args[0], args[1], args[2], args[3]);
  return new WorkRequest<T>(callback, task.task === Tasks.hashFile ? hashFileError : taskError, args).started(loop, id);
}

/** @internal Loop#queueWork. */
export function queueWork<T>(loop: Loop, task: WorkTask<T>, callback: WorkCallback<T> | undefined): WorkRequest<T> | Promise<T> {
  if (!(task instanceof WorkTask)) throw invalidArgType('task', 'a task made by work.sleep(), work.checksum(), ...', task);
  if (callback === undefined) return callbackOrPromise(undefined, (cb) => startWork(loop, task, cb));
  validateFunction(callback, 'callback');
  return startWork(loop, task, callback);
}
