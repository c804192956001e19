/**
 * fs: every libuv file operation in three forms. With a callback it starts on a loop and returns
 * an {@link FsRequest} (`cancel()`); without one it returns a promise; `xSync` runs it on the
 * calling thread. Options may carry `{ loop }` (default: Node's loop) and, for promises, `signal`.
 * Arguments follow Node's fs where Node has the function; argument errors throw synchronously in
 * every form, libuv errors arrive as {@link UVError} with `syscall`, `path` and `dest`.
 */
import { AsyncResource } from 'node:async_hooks';
import { constants as nodeFsConstants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { binding, type FsOpName } from './binding.js';
import { decodeName, Dir, Dirent, direntsFrom, nameEncodingOf, type NameEncoding } from './dir.js';
import { invalidArgType, invalidArgValue, UVError } from './errors.js';
import { FsRequest, syncValues, type Convert, type FsCallback } from './fs_queue.js';
import { isNodeLoop, Loop } from './loop.js';
import { BigIntStats, Stats } from './stats.js';
import { validateFunction, validateInteger, validateObject, validateView } from './validate.js';

export { FsRequest, type FsCallback } from './fs_queue.js';
export { Dir, Dirent, type NameEncoding } from './dir.js';
export { BigIntStats, Stats } from './stats.js';

/** A path: a string, a Buffer / Uint8Array of bytes (any encoding), or a file: URL. */
export type PathLike = string | Uint8Array | URL;
/** Open flags: a number (`constants.O_*`) or one of Node's strings ('r', 'w+', 'ax', ...). */
export type OpenFlags = number | string;
/** A time for utime: seconds since the epoch (a number or numeric string) or a Date. */
export type TimeLike = number | string | Date;

export interface FsOptions {
  /** The loop the request runs on (default: Node's loop). Ignored by the sync forms. */
  loop?: Loop;
  /** Promise form: aborting cancels the request (it then rejects with ECANCELED). */
  signal?: AbortSignal;
}

/** Options of stat, lstat and fstat: `bigint: true` gives a {@link BigIntStats}. */
export interface StatOptions extends FsOptions {
  bigint?: boolean;
}

/** Options of the ops that return names: `encoding` (see {@link NameEncoding}). */
export interface NameOptions extends FsOptions {
  encoding?: NameEncoding | null;
}

// Overloads of the ops that return a name: `{ encoding: 'buffer' }` (or 'buffer') gives a Buffer.
type BufferNameOptions = 'buffer' | (NameOptions & { encoding: 'buffer' });
type StringNameOptions = BufferEncoding | (NameOptions & { encoding?: BufferEncoding | null });
type NameForm<Arg, T, B> = {
  (target: Arg, cb: FsCallback<T>): FsRequest<T>;
  (target: Arg, options: BufferNameOptions, cb: FsCallback<B>): FsRequest<B>;
  (target: Arg, options: BufferNameOptions): Promise<B>;
  (target: Arg, options: StringNameOptions, cb: FsCallback<T>): FsRequest<T>;
  (target: Arg, options?: StringNameOptions): Promise<T>;
  (target: Arg, options: NameEncoding | NameOptions, cb: FsCallback<T | B>): FsRequest<T | B>;
  (target: Arg, options?: NameEncoding | NameOptions): Promise<T | B>;
};
type NameSyncForm<Arg, T, B> = {
  (target: Arg, options: BufferNameOptions): B;
  (target: Arg, options?: StringNameOptions): T;
  (target: Arg, options?: NameEncoding | NameOptions): T | B;
};

/**
 * An op whose result holds a name: as targetOp, with the options' encoding. `convert(encoding,
 * target)` makes the result from native's (a string, or a Buffer when an encoding was asked for).
 */
function nameOp<Arg, T, B>(
  name: FsOpName, target: (value: unknown) => Target, convert: (encoding: NameEncoding | undefined, target: Target) => Convert<T | B>,
) {
  const op = opCode(name);
  const async = ((t: Arg, a?: unknown, b?: unknown) => {
    const p = target(t);
    if (typeof a === 'string') splitTail({ encoding: a }, b);
    else splitTail(a, b);
    const encoding = nameEncodingOf(tailOptions);
    return submit(op, name, convert(encoding, p), shownPath(p), undefined, undefined, p, encoding !== undefined);
  }) as NameForm<Arg, T, B>;
  const sync = ((t: Arg, options?: unknown) => {
    const p = target(t);
    if (options !== undefined && options !== null && typeof options !== 'string') validateObject(options, 'options');
    const encoding = nameEncodingOf(options);
    return runSync(op, name, convert(encoding, p), shownPath(p), undefined, p, encoding !== undefined);
  }) as NameSyncForm<Arg, T, B>;
  return [async, sync] as const;
}

const toName = (encoding: NameEncoding | undefined): Convert<string | Buffer> => (_r, _v, _at, extra) => decodeName(extra, encoding);
type Temp<P> = { fd: number; path: P };
const toTemp = (encoding: NameEncoding | undefined): Convert<Temp<string> | Temp<Buffer>> => (_r, values, at, extra) =>
  ({ fd: values[at]!, path: decodeName(extra, encoding) }) as Temp<string> | Temp<Buffer>;

/** Result of statfs, with the field names of Node's fs.StatFs. */
export class StatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  /** @internal */
  constructor(values: Float64Array, at: number) {
    this.type = values[at]!;
    this.bsize = values[at + 1]!;
    this.blocks = values[at + 2]!;
    this.bfree = values[at + 3]!;
    this.bavail = values[at + 4]!;
    this.files = values[at + 5]!;
    this.ffree = values[at + 6]!;
  }
}

const ops = binding.fsOps;

/** Open flags (Node's fs.constants, which are libuv's UV_FS_O_* on every platform), copyfile and
 * symlink flags, access modes, and the dirent types of {@link Dirent.type}. */
export const constants = Object.freeze({
  ...nodeFsConstants,
  COPYFILE_EXCL: binding.fsConstants.COPYFILE_EXCL!,
  COPYFILE_FICLONE: binding.fsConstants.COPYFILE_FICLONE!,
  COPYFILE_FICLONE_FORCE: binding.fsConstants.COPYFILE_FICLONE_FORCE!,
  SYMLINK_DIR: binding.fsConstants.SYMLINK_DIR!,
  SYMLINK_JUNCTION: binding.fsConstants.SYMLINK_JUNCTION!,
  UV_DIRENT_UNKNOWN: binding.fsConstants.UV_DIRENT_UNKNOWN!,
  UV_DIRENT_FILE: binding.fsConstants.UV_DIRENT_FILE!,
  UV_DIRENT_DIR: binding.fsConstants.UV_DIRENT_DIR!,
  UV_DIRENT_LINK: binding.fsConstants.UV_DIRENT_LINK!,
  UV_DIRENT_FIFO: binding.fsConstants.UV_DIRENT_FIFO!,
  UV_DIRENT_SOCKET: binding.fsConstants.UV_DIRENT_SOCKET!,
  UV_DIRENT_CHAR: binding.fsConstants.UV_DIRENT_CHAR!,
  UV_DIRENT_BLOCK: binding.fsConstants.UV_DIRENT_BLOCK!,
});

// --- result conversions ---

const toVoid: Convert<void> = () => undefined;
const toNumber: Convert<number> = (result) => result;
const toStats: Convert<Stats> = (_r, values, at) => new Stats(values, at);
const toBigIntStats: Convert<BigIntStats> = (_r, values, at) => new BigIntStats(values, at);
const toStatFs: Convert<StatFs> = (_r, values, at) => new StatFs(values, at);

// --- argument checks ---

/** The path as native code takes it (string or bytes), after Node's checks. */
function toPath(value: unknown, name = 'path'): string | Uint8Array {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw invalidArgValue(name, value, 'must be a string, Uint8Array, or URL without null bytes');
    return value;
  }
  if (value instanceof URL) {
    if (value.protocol !== 'file:') throw invalidArgType(name, 'of type string or an instance of Buffer or URL', value);
    return toPath(fileURLToPath(value), name);
  }
  if (value instanceof Uint8Array) {
    if (value.includes(0)) throw invalidArgValue(name, value, 'must be a string, Uint8Array, or URL without null bytes');
    return value;
  }
  throw invalidArgType(name, 'of type string or an instance of Buffer or URL', value);
}

function shown(path: string | Uint8Array): string {
  return typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength).toString();
}

function validateFd(fd: unknown, name = 'fd'): asserts fd is number {
  validateInteger(fd, name, 0, 0x7fffffff);
}

const FLAGS: Readonly<Record<string, number>> = (() => {
  const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_SYNC } = nodeFsConstants;
  return {
    r: O_RDONLY, rs: O_RDONLY | O_SYNC, sr: O_RDONLY | O_SYNC, 'r+': O_RDWR, 'rs+': O_RDWR | O_SYNC, 'sr+': O_RDWR | O_SYNC,
    w: O_TRUNC | O_CREAT | O_WRONLY, wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL, xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
    'w+': O_TRUNC | O_CREAT | O_RDWR, 'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL, 'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
    a: O_APPEND | O_CREAT | O_WRONLY, ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL, xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
    as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC, sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
    'a+': O_APPEND | O_CREAT | O_RDWR, 'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL, 'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
    'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC, 'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  };
})();

function toFlags(value: unknown): number {
  if (value === undefined || value === null) return nodeFsConstants.O_RDONLY;
  if (typeof value === 'number') {
    validateInteger(value, 'flags', -0x80000000, 0x7fffffff);
    return value;
  }
  if (typeof value === 'string' && Object.hasOwn(FLAGS, value)) return FLAGS[value]!;
  if (typeof value === 'string') throw invalidArgValue('flags', value);
  throw invalidArgType('flags', 'of type string or number', value);
}

/** A mode: a number or an octal string ('755'), as Node's parseFileMode. */
function toMode(value: unknown, fallback: number, name = 'mode', max = 0o7777): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    value = Number.parseInt(value, 8);
  }
  validateInteger(value, name, 0, max);
  return value;
}

function toSeconds(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw invalidArgType(name, 'a finite number of seconds, a numeric string, or a valid Date', value);
}

function toPosition(value: unknown): number {
  if (value === undefined || value === null) return -1;
  if (typeof value === 'bigint') value = Number(value);
  if (value === -1) return -1;
  validateInteger(value, 'position', 0, Number.MAX_SAFE_INTEGER);
  return value;
}

function toView(value: unknown, name: string): ArrayBufferView {
  validateView(value, name);
  return value;
}

/** A copy of an array of views: the request keeps it, so the views stay alive (and the same)
 * until libuv is done with them whatever the caller does to its own array meanwhile. */
function toViews(value: unknown[], name: string): ArrayBufferView[] {
  if (value.length === 0) throw invalidArgValue(name, value, 'must not be empty');
  const views = value.slice();
  for (const view of views) toView(view, name);
  return views as ArrayBufferView[];
}

// --- the three forms ---

// Splits trailing arguments into (options, callback): a callback is last if present, the options
// object before it. Module-level results avoid an allocation per call.
let tailOptions: FsOptions | undefined;
let tailCallback: FsCallback<never> | undefined;

function splitTail(a: unknown, b: unknown): void {
  tailOptions = undefined;
  tailCallback = undefined;
  if (typeof a === 'function') {
    tailCallback = a as FsCallback<never>;
    return;
  }
  if (a !== undefined && a !== null) {
    validateObject(a, 'options');
    tailOptions = a as FsOptions;
  }
  if (b !== undefined) {
    validateFunction(b, 'callback');
    tailCallback = b as FsCallback<never>;
  }
}

function loopOf(options: FsOptions | undefined): Loop {
  const loop = options?.loop;
  if (loop === undefined) return Loop.default();
  if (!(loop instanceof Loop)) throw invalidArgType('options.loop', 'an instance of Loop', loop);
  return loop;
}

/**
 * Starts `op` in the form the trailing arguments ask for (tailOptions / tailCallback, set by
 * splitTail just before): the request with a callback, else a promise.
 */
function submit<T>(
  op: number, syscall: string, convert: Convert<T>, path: string | Uint8Array | undefined, dest: string | Uint8Array | undefined,
  pin: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown,
): FsRequest<T> | Promise<T> {
  const options = tailOptions;
  const callback = tailCallback as FsCallback<T> | undefined;
  // Not kept past this call: the last callback (and what it holds, such as a Dir) would otherwise
  // stay reachable until the next fs call.
  tailOptions = undefined;
  tailCallback = undefined;
  const loop = loopOf(options);
  const shownPath = path === undefined ? undefined : shown(path);
  const shownDest = dest === undefined ? undefined : shown(dest);
  const signal = options?.signal;
  // Checked before anything starts: a bad signal is an argument error like the others.
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  const request = new FsRequest<T>(syscall, convert, shownPath, shownDest, pin, callback);
  if (callback !== undefined) {
    if (isNodeLoop(loop)) request.scope = new AsyncResource('UVKIT_FSREQCALLBACK');
    request.start(op, loop, a, b, c, d, e);
    return request;
  }
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  request.resolve = resolve;
  request.reject = reject;
  if (signal?.aborted) {
    reject(request.error(errnoOf('ECANCELED')));
    return promise;
  }
  // Started outside the promise's executor: what start() throws (a closed loop, a Dir busy with
  // another request) is thrown synchronously, as in the callback form, not turned into a rejection.
  request.start(op, loop, a, b, c, d, e);
  if (signal !== undefined) {
    const abort = (): void => void request.cancel();
    signal.addEventListener('abort', abort, { once: true });
    const done = (): void => signal.removeEventListener('abort', abort);
    request.resolve = (value) => (done(), resolve(value));
    request.reject = (error) => (done(), reject(error));
  }
  return promise;
}

function errnoOf(code: string): number {
  return binding.codes[code]!;
}

/** Runs `op` on this thread; throws a UVError on failure. */
function runSync<T>(
  op: number, syscall: string, convert: Convert<T>, path: string | Uint8Array | undefined, dest: string | Uint8Array | undefined,
  a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown,
): T {
  const raw = binding.fsCall(op, -1, undefined, a, b, c, d, e);
  if (typeof raw === 'number') {
    if (raw < 0) {
      throw new UVError(raw, syscall, { path: path === undefined ? undefined : shown(path), dest: dest === undefined ? undefined : shown(dest) });
    }
    return convert(raw, syncValues, 0, undefined);
  }
  return convert(0, syncValues, 0, raw);
}

// Overloads of the async forms: with a callback the request, without one a promise.
type AsyncForm<Args extends unknown[], T> = {
  (...args: [...Args, FsCallback<T>]): FsRequest<T>;
  (...args: [...Args, FsOptions, FsCallback<T>]): FsRequest<T>;
  (...args: [...Args, FsOptions?]): Promise<T>;
};

function opCode(name: FsOpName): number {
  return ops[name];
}

// --- one path ---

// What an op works on, as native code takes it: a checked path or fd, or a mkdtemp template.
type Target = string | Uint8Array | number;
const pathTarget = (value: unknown): Target => toPath(value);
const fdTarget = (value: unknown): Target => {
  validateFd(value);
  return value;
};
const prefixTarget = (value: unknown): Target => withSuffix(value as PathLike);
// The path an error names (an fd names none).
const shownPath = (target: Target): string | Uint8Array | undefined => (typeof target === 'number' ? undefined : target);

/** The async and sync forms of an op whose only argument is its target. */
function targetOp<Arg, T>(name: FsOpName, target: (value: unknown) => Target, convert: Convert<T>) {
  const op = opCode(name);
  const async = ((t: Arg, a?: unknown, b?: unknown) => {
    const p = target(t);
    splitTail(a, b);
    return submit(op, name, convert, shownPath(p), undefined, undefined, p);
  }) as AsyncForm<[target: Arg], T>;
  const sync = (t: Arg): T => {
    const p = target(t);
    return runSync(op, name, convert, shownPath(p), undefined, p);
  };
  return [async, sync] as const;
}

// Overloads of stat, lstat and fstat: `{ bigint: true }` gives BigIntStats.
type StatForm<Arg> = AsyncForm<[target: Arg], Stats> & {
  (target: Arg, options: StatOptions & { bigint: true }, cb: FsCallback<BigIntStats>): FsRequest<BigIntStats>;
  (target: Arg, options: StatOptions & { bigint: true }): Promise<BigIntStats>;
  (target: Arg, options: StatOptions, cb: FsCallback<Stats | BigIntStats>): FsRequest<Stats | BigIntStats>;
  (target: Arg, options?: StatOptions): Promise<Stats | BigIntStats>;
};
type StatSyncForm<Arg> = {
  (target: Arg, options?: { bigint?: false }): Stats;
  (target: Arg, options: { bigint: true }): BigIntStats;
  (target: Arg, options?: { bigint?: boolean }): Stats | BigIntStats;
};

function statsConvert(options: { bigint?: unknown } | undefined, name: string): Convert<Stats> | Convert<BigIntStats> {
  const bigint = options?.bigint;
  if (bigint !== undefined && typeof bigint !== 'boolean') throw invalidArgType(`${name}.bigint`, 'of type boolean', bigint);
  return bigint === true ? toBigIntStats : toStats;
}

/** stat, lstat, fstat: as targetOp, with the result's type chosen by `options.bigint`. */
function statOp<Arg>(name: 'stat' | 'lstat' | 'fstat', target: (value: unknown) => Target) {
  const op = opCode(name);
  const async = ((t: Arg, a?: unknown, b?: unknown) => {
    const p = target(t);
    splitTail(a, b);
    const convert = statsConvert(tailOptions as StatOptions | undefined, 'options') as Convert<Stats>;
    return submit(op, name, convert, shownPath(p), undefined, undefined, p);
  }) as StatForm<Arg>;
  const sync = ((t: Arg, options?: unknown) => {
    const p = target(t);
    if (options !== undefined) validateObject(options, 'options');
    const convert = statsConvert(options as { bigint?: unknown } | undefined, 'options') as Convert<Stats>;
    return runSync(op, name, convert, shownPath(p), undefined, p);
  }) as StatSyncForm<Arg>;
  return [async, sync] as const;
}

/** stat(2): follows symbolic links. */
export const [stat, statSync] = statOp<PathLike>('stat', pathTarget);
/** lstat(2): a symbolic link itself. */
export const [lstat, lstatSync] = statOp<PathLike>('lstat', pathTarget);
/** statfs(2) of the file system holding `path`. */
export const [statfs, statfsSync] = targetOp<PathLike, StatFs>('statfs', pathTarget, toStatFs);
export const [unlink, unlinkSync] = targetOp<PathLike, void>('unlink', pathTarget, toVoid);
export const [rmdir, rmdirSync] = targetOp<PathLike, void>('rmdir', pathTarget, toVoid);
export const [readlink, readlinkSync] = nameOp<PathLike, string, Buffer>('readlink', pathTarget, toName);
export const [realpath, realpathSync] = nameOp<PathLike, string, Buffer>('realpath', pathTarget, toName);

function withSuffix(prefix: PathLike): string | Uint8Array {
  const p = toPath(prefix, 'prefix');
  return typeof p === 'string' ? `${p}XXXXXX` : Buffer.concat([p, Buffer.from('XXXXXX')]);
}

/** Makes a unique directory named `prefix` + 6 random characters (as Node's mkdtemp); its path. */
export const [mkdtemp, mkdtempSync] = nameOp<PathLike, string, Buffer>('mkdtemp', prefixTarget, toName);
/** Makes and opens a unique file named `prefix` + 6 random characters: `{ fd, path }`. */
export const [mkstemp, mkstempSync] = nameOp<PathLike, Temp<string>, Temp<Buffer>>('mkstemp', prefixTarget, toTemp);

/**
 * The entries of a directory (without '.' and '..'), with their types; names as `encoding` asks
 * (UTF-8 strings by default, `'buffer'` for the bytes as they are).
 */
export const [scandir, scandirSync] = nameOp<PathLike, Dirent[], Array<Dirent<Buffer>>>('scandir', pathTarget, (encoding, p) =>
  direntsOf(p as string | Uint8Array, encoding),
);

function direntsOf(path: string | Uint8Array, encoding: NameEncoding | undefined): Convert<Dirent[]> {
  return (_r, _v, _at, extra) => direntsFrom(extra as Array<string | Buffer | number>, shown(path), encoding) as Dirent[];
}

// --- one fd ---

export const [close, closeSync] = targetOp<number, void>('close', fdTarget, toVoid);
export const [fstat, fstatSync] = statOp<number>('fstat', fdTarget);
export const [fsync, fsyncSync] = targetOp<number, void>('fsync', fdTarget, toVoid);
export const [fdatasync, fdatasyncSync] = targetOp<number, void>('fdatasync', fdTarget, toVoid);

// --- open ---

/** open(path, flags = 'r', mode = 0o666): the new fd. */
export const open = ((path: PathLike, ...rest: unknown[]) => {
  const p = toPath(path);
  const [flags, mode, a, b] = positional(rest, 2);
  splitTail(a, b);
  return submit(ops.open, 'open', toNumber, p, undefined, undefined, p, toFlags(flags), toMode(mode, 0o666, 'mode', 0xffff));
}) as {
  (path: PathLike, cb: FsCallback<number>): FsRequest<number>;
  (path: PathLike, flags: OpenFlags | undefined, cb: FsCallback<number>): FsRequest<number>;
  (path: PathLike, flags: OpenFlags | undefined, mode: number | string | undefined, cb: FsCallback<number>): FsRequest<number>;
  (path: PathLike, flags: OpenFlags | undefined, mode: number | string | undefined, options: FsOptions, cb: FsCallback<number>): FsRequest<number>;
  (path: PathLike, flags?: OpenFlags, mode?: number | string, options?: FsOptions): Promise<number>;
};
export function openSync(path: PathLike, flags?: OpenFlags, mode?: number | string): number {
  const p = toPath(path);
  return runSync(ops.open, 'open', toNumber, p, undefined, p, toFlags(flags), toMode(mode, 0o666, 'mode', 0xffff));
}

/**
 * Spreads `rest` into `count` optional positional arguments followed by (options, callback): a
 * function ends the list, and an options object may only come right before it or last.
 */
function positional(rest: unknown[], count: number): unknown[] {
  const out: unknown[] = new Array(count + 2).fill(undefined);
  let end = rest.length;
  if (end > 0 && typeof rest[end - 1] === 'function') out[count + 1] = rest[--end];
  if (end > 0 && (end > count || isOptions(rest[end - 1]))) out[count] = rest[--end];
  if (end > count) throw invalidArgType('callback', 'of type function', rest[rest.length - 1]);
  for (let i = 0; i < end; i++) out[i] = rest[i];
  return out;
}

function isOptions(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Array.isArray(value) && !(value instanceof Date);
}

// --- read / write ---

type Buffers = ArrayBufferView | ArrayBufferView[];

// The native (data, offset, length) of a read or write, set by ioArgs; module-level so the hot
// read / write path allocates nothing for them.
let ioData: Buffers | undefined;
let ioStart = 0;
let ioCount = 0;

// ioData for the call being made, forgotten here: a large buffer would otherwise stay reachable
// until the next read or write (the request itself keeps it until it completes).
function takeIoData(): Buffers {
  const data = ioData!;
  ioData = undefined;
  return data;
}

/** Checks a read's or write's buffer(s), offset and length; an array is one vectored call (a copy). */
function ioArgs(data: unknown, offset: unknown, length: unknown, name: string): void {
  if (Array.isArray(data)) {
    ioData = toViews(data, name === 'buffer' ? 'buffers' : name);
    ioStart = 0;
    ioCount = 0;
    return;
  }
  const view = toView(data, name);
  const size = view.byteLength;
  const start = offset === undefined || offset === null ? 0 : offset;
  validateInteger(start, 'offset', 0, size);
  const count = length === undefined || length === null ? size - start : length;
  validateInteger(count, 'length', 0, size - start);
  ioData = view;
  ioStart = start;
  ioCount = count;
}

/**
 * read(fd, buffer, offset = 0, length = buffer.byteLength - offset, position = null): bytes read
 * into the caller's buffer (no copy). `buffer` may be an array of buffers (one readv). position
 * null (or -1) reads from the current file position. The callback also gets the buffer, as Node's.
 */
export const read = ((fd: number, buffer: Buffers, ...rest: unknown[]) => {
  validateFd(fd);
  const [offset, length, position, a, b] = rest.length === 4 && typeof rest[3] === 'function' ? [rest[0], rest[1], rest[2], undefined, rest[3]] : positional(rest, 3);
  ioArgs(buffer, offset, length, 'buffer');
  splitTail(a, b);
  return submit(ops.read, 'read', toNumber, undefined, undefined, buffer, fd, takeIoData(), ioStart, ioCount, toPosition(position));
}) as IoForm;
export function readSync(fd: number, buffer: Buffers, offset?: number, length?: number, position?: number | bigint | null): number {
  validateFd(fd);
  ioArgs(buffer, offset, length, 'buffer');
  return runSync(ops.read, 'read', toNumber, undefined, undefined, fd, takeIoData(), ioStart, ioCount, toPosition(position));
}

/**
 * write(fd, data, offset = 0, length = rest of data, position = null): bytes written from the
 * caller's buffer (no copy). `data` may be an array of buffers (one writev) or a string (then
 * `write(fd, string, position?, encoding = 'utf8')`, as Node's).
 */
export const write = ((fd: number, data: Buffers | string, ...rest: unknown[]) => {
  validateFd(fd);
  if (typeof data === 'string') {
    const [position, encoding, a, b] = positional(rest, 2);
    const bytes = Buffer.from(data, toEncoding(encoding));
    splitTail(a, b);
    return submit(ops.write, 'write', toNumber, undefined, undefined, bytes, fd, bytes, 0, bytes.length, toPosition(position));
  }
  const [offset, length, position, a, b] = rest.length === 4 && typeof rest[3] === 'function' ? [rest[0], rest[1], rest[2], undefined, rest[3]] : positional(rest, 3);
  ioArgs(data, offset, length, 'buffer');
  splitTail(a, b);
  return submit(ops.write, 'write', toNumber, undefined, undefined, data, fd, takeIoData(), ioStart, ioCount, toPosition(position));
}) as IoForm & {
  (fd: number, data: string, position: number | null | undefined, encoding: BufferEncoding | undefined, cb: FsCallback<number>): FsRequest<number>;
  (fd: number, data: string, position?: number | null, encoding?: BufferEncoding, options?: FsOptions): Promise<number>;
};
export function writeSync(fd: number, data: Buffers | string, offset?: number | null, length?: number | BufferEncoding, position?: number | bigint | null): number {
  validateFd(fd);
  if (typeof data === 'string') {
    const bytes = Buffer.from(data, toEncoding(length));
    return runSync(ops.write, 'write', toNumber, undefined, undefined, fd, bytes, 0, bytes.length, toPosition(offset));
  }
  ioArgs(data, offset, length, 'buffer');
  return runSync(ops.write, 'write', toNumber, undefined, undefined, fd, takeIoData(), ioStart, ioCount, toPosition(position));
}

function toEncoding(value: unknown): BufferEncoding {
  if (value === undefined || value === null) return 'utf8';
  if (typeof value === 'string' && Buffer.isEncoding(value)) return value;
  throw invalidArgValue('encoding', value, 'is invalid encoding');
}

type IoForm = {
  (fd: number, buffer: Buffers, cb: FsCallback<number>): FsRequest<number>;
  (fd: number, buffer: Buffers, offset: number | null | undefined, cb: FsCallback<number>): FsRequest<number>;
  (fd: number, buffer: Buffers, offset: number | null | undefined, length: number | null | undefined, cb: FsCallback<number>): FsRequest<number>;
  (
    fd: number, buffer: Buffers, offset: number | null | undefined, length: number | null | undefined,
    position: number | bigint | null | undefined, cb: FsCallback<number>,
  ): FsRequest<number>;
  (
    fd: number, buffer: Buffers, offset: number | null | undefined, length: number | null | undefined,
    position: number | bigint | null | undefined, options: FsOptions, cb: FsCallback<number>,
  ): FsRequest<number>;
  (fd: number, buffer: Buffers, offset?: number | null, length?: number | null, position?: number | bigint | null, options?: FsOptions): Promise<number>;
};

/** readv(fd, buffers, position = null) as Node's: one vectored read. */
export const readv = ((fd: number, buffers: ArrayBufferView[], ...rest: unknown[]) => {
  validateFd(fd);
  if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'an instance of Array', buffers);
  const [position, a, b] = positional(rest, 1);
  const views = toViews(buffers, 'buffers');
  splitTail(a, b);
  return submit(ops.read, 'read', toNumber, undefined, undefined, buffers, fd, views, 0, 0, toPosition(position));
}) as VectorForm;
export function readvSync(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null): number {
  validateFd(fd);
  if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'an instance of Array', buffers);
  return runSync(ops.read, 'read', toNumber, undefined, undefined, fd, toViews(buffers, 'buffers'), 0, 0, toPosition(position));
}

/** writev(fd, buffers, position = null) as Node's: one vectored write. */
export const writev = ((fd: number, buffers: ArrayBufferView[], ...rest: unknown[]) => {
  validateFd(fd);
  if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'an instance of Array', buffers);
  const [position, a, b] = positional(rest, 1);
  const views = toViews(buffers, 'buffers');
  splitTail(a, b);
  return submit(ops.write, 'write', toNumber, undefined, undefined, buffers, fd, views, 0, 0, toPosition(position));
}) as VectorForm;
export function writevSync(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null): number {
  validateFd(fd);
  if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'an instance of Array', buffers);
  return runSync(ops.write, 'write', toNumber, undefined, undefined, fd, toViews(buffers, 'buffers'), 0, 0, toPosition(position));
}

type VectorForm = {
  (fd: number, buffers: ArrayBufferView[], cb: FsCallback<number>): FsRequest<number>;
  (fd: number, buffers: ArrayBufferView[], position: number | bigint | null | undefined, cb: FsCallback<number>): FsRequest<number>;
  (fd: number, buffers: ArrayBufferView[], position: number | bigint | null | undefined, options: FsOptions, cb: FsCallback<number>): FsRequest<number>;
  (fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, options?: FsOptions): Promise<number>;
};

// --- path + number(s) ---

/** mkdir(path, mode = 0o777). (libuv has no recursive mkdir.) */
export const mkdir = ((path: PathLike, ...rest: unknown[]) => {
  const p = toPath(path);
  const [mode, a, b] = positional(rest, 1);
  splitTail(a, b);
  return submit(ops.mkdir, 'mkdir', toVoid, p, undefined, undefined, p, toMode(mode, 0o777));
}) as ModeForm<[path: PathLike], number | string>;
export function mkdirSync(path: PathLike, mode?: number | string): void {
  const p = toPath(path);
  runSync(ops.mkdir, 'mkdir', toVoid, p, undefined, p, toMode(mode, 0o777));
}

export const chmod = ((path: PathLike, mode: number | string, ...rest: unknown[]) => {
  const p = toPath(path);
  const m = toMode(required(mode, 'mode'), 0);
  splitTail(rest[0], rest[1]);
  return submit(ops.chmod, 'chmod', toVoid, p, undefined, undefined, p, m);
}) as AsyncForm<[path: PathLike, mode: number | string], void>;
export function chmodSync(path: PathLike, mode: number | string): void {
  const p = toPath(path);
  runSync(ops.chmod, 'chmod', toVoid, p, undefined, p, toMode(required(mode, 'mode'), 0));
}

export const fchmod = ((fd: number, mode: number | string, ...rest: unknown[]) => {
  validateFd(fd);
  const m = toMode(required(mode, 'mode'), 0);
  splitTail(rest[0], rest[1]);
  return submit(ops.fchmod, 'fchmod', toVoid, undefined, undefined, undefined, fd, m);
}) as AsyncForm<[fd: number, mode: number | string], void>;
export function fchmodSync(fd: number, mode: number | string): void {
  validateFd(fd);
  runSync(ops.fchmod, 'fchmod', toVoid, undefined, undefined, fd, toMode(required(mode, 'mode'), 0));
}

/** access(path, mode = F_OK): fails (EACCES, ENOENT) when the access is not allowed. */
export const access = ((path: PathLike, ...rest: unknown[]) => {
  const p = toPath(path);
  const [mode, a, b] = positional(rest, 1);
  splitTail(a, b);
  return submit(ops.access, 'access', toVoid, p, undefined, undefined, p, toMode(mode, nodeFsConstants.F_OK, 'mode', 7));
}) as ModeForm<[path: PathLike], number>;
export function accessSync(path: PathLike, mode?: number): void {
  const p = toPath(path);
  runSync(ops.access, 'access', toVoid, p, undefined, p, toMode(mode, nodeFsConstants.F_OK, 'mode', 7));
}

type ModeForm<Args extends unknown[], M> = {
  (...args: [...Args, FsCallback<void>]): FsRequest<void>;
  (...args: [...Args, M | undefined, FsCallback<void>]): FsRequest<void>;
  (...args: [...Args, M | undefined, FsOptions, FsCallback<void>]): FsRequest<void>;
  (...args: [...Args, M?, FsOptions?]): Promise<void>;
};

function required<T>(value: T, name: string): T {
  if (value === undefined) throw invalidArgType(name, 'given', value);
  return value;
}

/** ftruncate(fd, length = 0). */
export const ftruncate = ((fd: number, ...rest: unknown[]) => {
  validateFd(fd);
  const [length, a, b] = positional(rest, 1);
  const len = length ?? 0;
  validateInteger(len, 'length', 0, Number.MAX_SAFE_INTEGER);
  splitTail(a, b);
  return submit(ops.ftruncate, 'ftruncate', toVoid, undefined, undefined, undefined, fd, len);
}) as ModeForm<[fd: number], number>;
export function ftruncateSync(fd: number, length = 0): void {
  validateFd(fd);
  validateInteger(length, 'length', 0, Number.MAX_SAFE_INTEGER);
  runSync(ops.ftruncate, 'ftruncate', toVoid, undefined, undefined, fd, length);
}

// --- ownership and times ---

function validateId(value: unknown, name: string): number {
  validateInteger(value, name, -1, 0xffffffff);
  return value;
}

/**
 * The forms of an op on a path or an fd with two more values (uid and gid, atime and mtime), each
 * checked (and converted) by `check`.
 */
function targetPairOp<Arg, Value>(
  name: FsOpName, target: (value: unknown) => Target, names: readonly [string, string], check: (value: unknown, name: string) => number,
) {
  const op = opCode(name);
  const async = ((t: Arg, x: Value, y: Value, a?: unknown, b?: unknown) => {
    const p = target(t);
    const first = check(x, names[0]);
    const second = check(y, names[1]);
    splitTail(a, b);
    return submit(op, name, toVoid, shownPath(p), undefined, undefined, p, first, second);
  }) as AsyncForm<[target: Arg, first: Value, second: Value], void>;
  const sync = (t: Arg, x: Value, y: Value): void => {
    const p = target(t);
    runSync(op, name, toVoid, shownPath(p), undefined, p, check(x, names[0]), check(y, names[1]));
  };
  return [async, sync] as const;
}

const IDS = ['uid', 'gid'] as const;
const TIMES = ['atime', 'mtime'] as const;

/** chown(path, uid, gid): -1 leaves that id unchanged. */
export const [chown, chownSync] = targetPairOp<PathLike, number>('chown', pathTarget, IDS, validateId);
export const [lchown, lchownSync] = targetPairOp<PathLike, number>('lchown', pathTarget, IDS, validateId);
export const [fchown, fchownSync] = targetPairOp<number, number>('fchown', fdTarget, IDS, validateId);
/** utime(path, atime, mtime): times in seconds (fractions kept), numeric strings, or Dates. */
export const [utime, utimeSync] = targetPairOp<PathLike, TimeLike>('utime', pathTarget, TIMES, toSeconds);
/** lutime: utime of a symbolic link itself. */
export const [lutime, lutimeSync] = targetPairOp<PathLike, TimeLike>('lutime', pathTarget, TIMES, toSeconds);
export const [futime, futimeSync] = targetPairOp<number, TimeLike>('futime', fdTarget, TIMES, toSeconds);

// --- two paths ---

function twoPathOp(name: 'rename' | 'link') {
  const op = opCode(name);
  const async = ((from: PathLike, to: PathLike, a?: unknown, b?: unknown) => {
    const p = toPath(from, 'oldPath');
    const q = toPath(to, 'newPath');
    splitTail(a, b);
    return submit(op, name, toVoid, p, q, undefined, p, q);
  }) as AsyncForm<[oldPath: PathLike, newPath: PathLike], void>;
  const sync = (from: PathLike, to: PathLike): void => {
    const p = toPath(from, 'oldPath');
    const q = toPath(to, 'newPath');
    runSync(op, name, toVoid, p, q, p, q);
  };
  return [async, sync] as const;
}

export const [rename, renameSync] = twoPathOp('rename');
/** link(existingPath, newPath): a hard link. */
export const [link, linkSync] = twoPathOp('link');

/** symlink(target, path, type): type 'file' (default), 'dir' or 'junction' (Windows), or flags. */
export const symlink = ((target: PathLike, path: PathLike, ...rest: unknown[]) => {
  const p = toPath(target, 'target');
  const q = toPath(path, 'path');
  const [type, a, b] = positional(rest, 1);
  splitTail(a, b);
  return submit(ops.symlink, 'symlink', toVoid, p, q, undefined, p, q, symlinkFlags(type));
}) as ModeForm<[target: PathLike, path: PathLike], SymlinkType>;
export function symlinkSync(target: PathLike, path: PathLike, type?: SymlinkType): void {
  const p = toPath(target, 'target');
  const q = toPath(path, 'path');
  runSync(ops.symlink, 'symlink', toVoid, p, q, p, q, symlinkFlags(type));
}

export type SymlinkType = 'file' | 'dir' | 'junction' | number | null;

function symlinkFlags(type: unknown): number {
  if (type === undefined || type === null || type === 'file') return 0;
  if (type === 'dir') return constants.SYMLINK_DIR;
  if (type === 'junction') return constants.SYMLINK_JUNCTION;
  if (typeof type === 'number') {
    validateInteger(type, 'type', 0, constants.SYMLINK_DIR | constants.SYMLINK_JUNCTION);
    return type;
  }
  throw invalidArgValue('type', type, "must be 'file', 'dir', 'junction' or symlink flags");
}

/** copyfile(src, dest, mode = 0): mode is COPYFILE_EXCL | COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE. */
export const copyfile = ((src: PathLike, dest: PathLike, ...rest: unknown[]) => {
  const p = toPath(src, 'src');
  const q = toPath(dest, 'dest');
  const [mode, a, b] = positional(rest, 1);
  splitTail(a, b);
  return submit(ops.copyfile, 'copyfile', toVoid, p, q, undefined, p, q, copyMode(mode));
}) as ModeForm<[src: PathLike, dest: PathLike], number>;
export function copyfileSync(src: PathLike, dest: PathLike, mode?: number): void {
  const p = toPath(src, 'src');
  const q = toPath(dest, 'dest');
  runSync(ops.copyfile, 'copyfile', toVoid, p, q, p, q, copyMode(mode));
}

function copyMode(mode: unknown): number {
  if (mode === undefined || mode === null) return 0;
  validateInteger(mode, 'mode', 0, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE | constants.COPYFILE_FICLONE_FORCE);
  return mode;
}

// --- sendfile ---

/** sendfile(outFd, inFd, inOffset, length): copies in the kernel; the number of bytes sent. */
export const sendfile = ((outFd: number, inFd: number, inOffset: number, length: number, a?: unknown, b?: unknown) => {
  validateFd(outFd, 'outFd');
  validateFd(inFd, 'inFd');
  validateInteger(inOffset, 'inOffset', 0, Number.MAX_SAFE_INTEGER);
  validateInteger(length, 'length', 0, Number.MAX_SAFE_INTEGER);
  splitTail(a, b);
  return submit(ops.sendfile, 'sendfile', toNumber, undefined, undefined, undefined, outFd, inFd, inOffset, length);
}) as AsyncForm<[outFd: number, inFd: number, inOffset: number, length: number], number>;
export function sendfileSync(outFd: number, inFd: number, inOffset: number, length: number): number {
  validateFd(outFd, 'outFd');
  validateFd(inFd, 'inFd');
  validateInteger(inOffset, 'inOffset', 0, Number.MAX_SAFE_INTEGER);
  validateInteger(length, 'length', 0, Number.MAX_SAFE_INTEGER);
  return runSync(ops.sendfile, 'sendfile', toNumber, undefined, undefined, outFd, inFd, inOffset, length);
}

// --- directories ---

export interface OpendirOptions extends NameOptions {
  /** How many entries each read from the kernel returns at most (default 32, as Node's). */
  bufferSize?: number;
}

function bufferSizeOf(options: unknown): number {
  if (options === undefined || options === null || typeof options === 'function') return 32;
  validateObject(options, 'options');
  const size = (options as OpendirOptions).bufferSize ?? 32;
  validateInteger(size, 'options.bufferSize', 1, 4096);
  return size;
}

/** opendir(path, { bufferSize, loop }): a {@link Dir} to read entries from, a batch at a time. */
export const opendir = ((path: PathLike, a?: unknown, b?: unknown) => {
  const p = toPath(path);
  const size = bufferSizeOf(a);
  splitTail(a, b);
  const loop = loopOf(tailOptions);
  const encoding = nameEncodingOf(tailOptions);
  const toDir: Convert<Dir> = (id) => new Dir(id, shown(p), loop, encoding);
  return submit(ops.opendir, 'opendir', toDir, p, undefined, undefined, p, size);
}) as AsyncForm<[path: PathLike], Dir> & {
  (path: PathLike, options: OpendirOptions & { encoding: 'buffer' }, cb: FsCallback<Dir<Buffer>>): FsRequest<Dir<Buffer>>;
  (path: PathLike, options: OpendirOptions & { encoding: 'buffer' }): Promise<Dir<Buffer>>;
  (path: PathLike, options: OpendirOptions, cb: FsCallback<Dir>): FsRequest<Dir>;
  (path: PathLike, options?: OpendirOptions): Promise<Dir>;
};
export function opendirSync(path: PathLike, options: OpendirOptions & { encoding: 'buffer' }): Dir<Buffer>;
export function opendirSync(path: PathLike, options?: OpendirOptions): Dir;
export function opendirSync(path: PathLike, options?: OpendirOptions): Dir | Dir<Buffer> {
  const p = toPath(path);
  const size = bufferSizeOf(options);
  const loop = loopOf(options);
  const encoding = nameEncodingOf(options);
  return runSync(ops.opendir, 'opendir', (id) => new Dir<string | Buffer>(id, shown(p), loop, encoding) as Dir | Dir<Buffer>, p, undefined, p, size);
}

// The Dir class starts its readdir / closedir requests through these (dir.ts cannot import this
// module: it is imported by it).
Dir.configure({
  read(dir: Dir, id: number, encoding: NameEncoding | undefined, options: FsOptions | undefined, callback: FsCallback<Dirent[]> | undefined) {
    tailOptions = options;
    tailCallback = callback as FsCallback<never> | undefined;
    return submit(ops.readdir, 'readdir', direntsOf(dir.path, encoding), undefined, undefined, undefined, id, encoding !== undefined);
  },
  readSync(dir: Dir, id: number, encoding: NameEncoding | undefined) {
    return runSync(ops.readdir, 'readdir', direntsOf(dir.path, encoding), undefined, undefined, id, encoding !== undefined);
  },
  close(id: number, options: FsOptions | undefined, callback: FsCallback<void> | undefined) {
    tailOptions = options;
    tailCallback = callback as FsCallback<never> | undefined;
    return submit(ops.closedir, 'closedir', toVoid, undefined, undefined, undefined, id);
  },
  closeSync(id: number) {
    runSync(ops.closedir, 'closedir', toVoid, undefined, undefined, id);
  },
});
