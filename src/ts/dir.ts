/**
 * Directory entries (scandir, Dir.read) and open directories (opendir), shaped like Node's
 * fs.Dirent and fs.Dir.
 */
import { AsyncResource } from 'node:async_hooks';
import { binding } from './binding.js';
import { callSoon } from './defer.js';
import { invalidArgType, invalidArgValue } from './errors.js';
import type { FsCallback, FsRequest } from './fs_queue.js';
import { isNodeLoop, type Loop } from './loop.js';

const DIRENT = binding.fsConstants;

/**
 * How names and paths come back (readlink, realpath, mkdtemp, mkstemp, scandir, opendir): UTF-8
 * strings by default, `'buffer'` for the bytes as they are (names that are not UTF-8), or any
 * Buffer encoding. As in Node, the options may be the encoding itself.
 */
export type NameEncoding = BufferEncoding | 'buffer';

/** The encoding `options` asks for; undefined for UTF-8 strings (made by native code directly). */
export function nameEncodingOf(options: unknown): NameEncoding | undefined {
  const encoding = typeof options === 'string' ? options : (options as { encoding?: unknown } | null | undefined)?.encoding;
  if (encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8') return undefined;
  if (encoding === 'buffer' || (typeof encoding === 'string' && Buffer.isEncoding(encoding))) return encoding as NameEncoding;
  throw invalidArgValue('encoding', encoding, 'is invalid encoding');
}

/** A name native code returned: a string already, or bytes (a Buffer) to give as asked. */
export function decodeName(raw: unknown, encoding: NameEncoding | undefined): string | Buffer {
  if (encoding === undefined || typeof raw === 'string') return raw as string;
  return encoding === 'buffer' ? (raw as Buffer) : (raw as Buffer).toString(encoding);
}

/**
 * One directory entry: its name (a string, or a Buffer when the call asked for `'buffer'`), the
 * directory it is in, and its type (no stat needed).
 */
export class Dirent<Name extends string | Buffer = string> {
  readonly name: Name;
  readonly parentPath: string;
  /** libuv's entry type: one of constants.UV_DIRENT_* of fs. */
  readonly type: number;

  /** @internal */
  constructor(name: Name, parentPath: string, type: number) {
    this.name = name;
    this.parentPath = parentPath;
    this.type = type;
  }

  /** The same as parentPath (Node's older name). */
  get path(): string {
    return this.parentPath;
  }
  isFile(): boolean {
    return this.type === DIRENT.UV_DIRENT_FILE;
  }
  isDirectory(): boolean {
    return this.type === DIRENT.UV_DIRENT_DIR;
  }
  isSymbolicLink(): boolean {
    return this.type === DIRENT.UV_DIRENT_LINK;
  }
  isFIFO(): boolean {
    return this.type === DIRENT.UV_DIRENT_FIFO;
  }
  isSocket(): boolean {
    return this.type === DIRENT.UV_DIRENT_SOCKET;
  }
  isCharacterDevice(): boolean {
    return this.type === DIRENT.UV_DIRENT_CHAR;
  }
  isBlockDevice(): boolean {
    return this.type === DIRENT.UV_DIRENT_BLOCK;
  }
}

/**
 * Dirents from native's flat [name, type, name, type, ...] list; names are strings, or Buffers
 * (when an encoding was asked for) turned into what `encoding` says.
 */
export function direntsFrom(list: Array<string | Buffer | number>, parentPath: string, encoding: NameEncoding | undefined): Array<Dirent<string | Buffer>> {
  const out = new Array<Dirent<string | Buffer>>(list.length / 2);
  for (let i = 0; i < list.length; i += 2) out[i / 2] = new Dirent(decodeName(list[i], encoding), parentPath, list[i + 1] as number);
  return out;
}

/** How Dir starts its requests (set by fs.ts, which owns the request machinery). */
interface DirOps {
  read(dir: Dir<string | Buffer>, id: number, encoding: NameEncoding | undefined, options: { loop: Loop } | undefined, cb: FsCallback<Dirent[]> | undefined): FsRequest<Dirent[]> | Promise<Dirent[]>;
  readSync(dir: Dir<string | Buffer>, id: number, encoding: NameEncoding | undefined): Dirent[];
  close(id: number, options: { loop: Loop } | undefined, cb: FsCallback<void> | undefined): FsRequest<void> | Promise<void>;
  closeSync(id: number): void;
}

let dirOps: DirOps | undefined;

type Settle<T> = (err: Error | null, value?: T) => void;

// What Node's Dir throws for a sync call while an async one is in flight.
function concurrentOperation(): Error & { code: string } {
  const error = new Error('Cannot do synchronous work on directory handle with concurrent asynchronous operations') as Error & { code: string };
  error.code = 'ERR_DIR_CONCURRENT_OPERATION';
  return error;
}

function dirClosed(): Error & { code: string } {
  const error = new Error('Directory handle was closed') as Error & { code: string };
  error.code = 'ERR_DIR_CLOSED';
  return error;
}

/**
 * An open directory (opendir). `read()` gives one entry at a time (null at the end) from batches
 * of `bufferSize` read from the kernel; `for await` reads all and closes it. A Dir collected
 * without close() is closed then.
 */
export class Dir<Name extends string | Buffer = string> {
  readonly path: string;
  readonly #id: number;
  readonly #loop: Loop;
  readonly #encoding: NameEncoding | undefined;
  #buffered: Array<Dirent<Name>> = [];
  #closed = false;
  // Calls waiting for the read in flight; null when none is in flight.
  #waiting: Array<() => void> | null = null;

  static #registry = new FinalizationRegistry<number>((id) => {
    try {
      dirOps!.closeSync(id);
    } catch {
      // Already closed natively (environment teardown): nothing is left to release.
    }
  });

  /** @internal */
  static configure(ops: DirOps): void {
    dirOps = ops;
  }

  /** @internal */
  constructor(id: number, path: string, loop: Loop, encoding?: NameEncoding) {
    this.#id = id;
    this.path = path;
    this.#loop = loop;
    this.#encoding = encoding;
    Dir.#registry.register(this, id, this);
  }

  /**
   * The next entry, or null when there are no more. Reads and closes asked for while a read is in
   * flight wait for it and then run in order, as with Node's Dir.
   */
  read(callback: FsCallback<Dirent<Name> | null>): void;
  read(): Promise<Dirent<Name> | null>;
  read(callback?: FsCallback<Dirent<Name> | null>): void | Promise<Dirent<Name> | null> {
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    if (this.#closed) throw dirClosed();
    return this.#start((settle) => this.#readNow(settle), callback);
  }

  readSync(): Dirent<Name> | null {
    if (this.#closed) throw dirClosed();
    if (this.#waiting !== null) throw concurrentOperation();
    const next = this.#buffered.shift();
    if (next !== undefined) return next;
    return this.#first(dirOps!.readSync(this, this.#id, this.#encoding));
  }

  /** Closes the directory; every later call throws ERR_DIR_CLOSED. */
  close(callback: FsCallback<void>): void;
  close(): Promise<void>;
  close(callback?: FsCallback<void>): void | Promise<void> {
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    if (this.#closed) throw dirClosed();
    if (this.#waiting === null) {
      // Marked closed only once the close started: when it throws (a closed loop) the Dir stays
      // open, to be closed later or by the registry.
      const request = dirOps!.close(this.#id, { loop: this.#loop }, callback);
      this.#markClosed();
      if (callback === undefined) return request as Promise<void>;
      return;
    }
    // Behind a read in flight: later calls already see the Dir closed.
    this.#closed = true;
    return this.#start((settle) => {
      try {
        dirOps!.close(this.#id, { loop: this.#loop }, (err) => settle(err));
      } catch (error) {
        this.#closed = false; // the close did not start (the loop was closed meanwhile)
        throw error;
      }
      this.#markClosed();
    }, callback);
  }

  closeSync(): void {
    if (this.#closed) throw dirClosed();
    if (this.#waiting !== null) throw concurrentOperation();
    dirOps!.closeSync(this.#id);
    this.#markClosed();
  }

  // Runs `op` now, or once the read in flight is done. Delivered through a callback or a promise;
  // what `op` throws when it runs now is thrown (as by any call with a bad state), when it runs
  // later it becomes that call's error.
  #start<T>(op: (settle: Settle<T>) => void, callback: FsCallback<T> | undefined): void | Promise<T> {
    let promise: Promise<T> | undefined;
    let settle: Settle<T>;
    if (callback === undefined) {
      let resolve!: (value: T) => void;
      let reject!: (error: Error) => void;
      promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      settle = (err, value) => (err ? reject(err) : resolve(value as T));
    } else {
      // Callbacks never run inside the caller's call (nor inside the drain of waiting calls). On
      // Node's loop they run in the caller's async context (AsyncLocalStorage), as Node's do.
      // (Not AsyncResource.bind: it takes ~15 µs a call on Node 20, a new resource ~0.1 µs.)
      const deliver = callback as (err: Error | null, value?: T) => void;
      const scope = isNodeLoop(this.#loop) ? new AsyncResource('UVKIT_DIRCALLBACK') : undefined;
      settle = (err, value) => callSoon(this.#loop, () => (scope === undefined ? deliver(err, value) : scope.runInAsyncScope(deliver, undefined, err, value)));
    }
    if (this.#waiting === null) {
      op(settle);
      return promise;
    }
    // A waiting call that finds the Dir busy again (an earlier waiting read started a request)
    // waits for that one in turn, so order is kept.
    const run = (): void => {
      if (this.#waiting !== null) {
        this.#waiting.push(run);
        return;
      }
      try {
        op(settle);
      } catch (error) {
        settle(error as Error);
      }
    };
    this.#waiting.push(run);
    return promise;
  }

  // One entry from those held, or a readdir request for the next batch (the Dir is busy till then).
  #readNow(settle: Settle<Dirent<Name> | null>): void {
    const next = this.#buffered.shift();
    if (next !== undefined) {
      settle(null, next);
      return;
    }
    const waiting: Array<() => void> = [];
    this.#waiting = waiting;
    try {
      dirOps!.read(this, this.#id, this.#encoding, { loop: this.#loop }, (err, list) => {
        this.#waiting = null;
        try {
          if (err) settle(err);
          else settle(null, this.#first(list!));
        } finally {
          for (const run of waiting) run();
        }
      });
    } catch (error) {
      this.#waiting = null;
      throw error;
    }
  }

  // (Native's entries have the names this Dir's encoding asked for: Name.)
  #first(entries: Dirent[]): Dirent<Name> | null {
    const list = entries as unknown as Array<Dirent<Name>>;
    if (list.length === 0) return null;
    this.#buffered = list.slice(1);
    return list[0]!;
  }

  #markClosed(): void {
    this.#closed = true;
    this.#buffered = [];
    Dir.#registry.unregister(this);
  }

  async *entries(): AsyncGenerator<Dirent<Name>, void, undefined> {
    try {
      for (;;) {
        const entry = await this.read();
        if (entry === null) return;
        yield entry;
      }
    } finally {
      if (!this.#closed) await this.close();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Dirent<Name>, void, undefined> {
    return this.entries();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }
}
