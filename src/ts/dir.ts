/**
 * Directory entries (scandir, Dir.read) and open directories (opendir), shaped like Node's
 * fs.Dirent and fs.Dir.
 */
import { binding } from './binding.js';
import { callSoon } from './defer.js';
import { invalidArgType } from './errors.js';
import type { FsCallback, FsRequest } from './fs_queue.js';
import type { Loop } from './loop.js';

const DIRENT = binding.fsConstants;

/** One directory entry: its name, the directory it is in, and its type (no stat needed). */
export class Dirent {
  readonly name: string;
  readonly parentPath: string;
  /** libuv's entry type: one of constants.UV_DIRENT_* of fs. */
  readonly type: number;

  /** @internal */
  constructor(name: string, parentPath: string, type: number) {
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

/** Dirents from native's flat [name, type, name, type, ...] list. */
export function direntsFrom(list: Array<string | number>, parentPath: string): Dirent[] {
  const out = new Array<Dirent>(list.length / 2);
  for (let i = 0; i < list.length; i += 2) out[i / 2] = new Dirent(list[i] as string, parentPath, list[i + 1] as number);
  return out;
}

/** How Dir starts its requests (set by fs.ts, which owns the request machinery). */
interface DirOps {
  read(dir: Dir, id: number, options: { loop: Loop } | undefined, cb: FsCallback<Dirent[]> | undefined): FsRequest<Dirent[]> | Promise<Dirent[]>;
  readSync(dir: Dir, id: number): Dirent[];
  close(id: number, options: { loop: Loop } | undefined, cb: FsCallback<void> | undefined): FsRequest<void> | Promise<void>;
  closeSync(id: number): void;
}

let dirOps: DirOps | undefined;

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
export class Dir {
  readonly path: string;
  readonly #id: number;
  readonly #loop: Loop;
  #buffered: Dirent[] = [];
  #closed = false;

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
  constructor(id: number, path: string, loop: Loop) {
    this.#id = id;
    this.path = path;
    this.#loop = loop;
    Dir.#registry.register(this, id, this);
  }

  /** The next entry, or null when there are no more. */
  read(callback: FsCallback<Dirent | null>): void;
  read(): Promise<Dirent | null>;
  read(callback?: FsCallback<Dirent | null>): void | Promise<Dirent | null> {
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    if (this.#closed) throw dirClosed();
    const next = this.#buffered.shift();
    if (next !== undefined) {
      if (callback === undefined) return Promise.resolve(next);
      callSoon(this.#loop, () => callback(null, next));
      return;
    }
    const options = { loop: this.#loop };
    if (callback === undefined) return (dirOps!.read(this, this.#id, options, undefined) as Promise<Dirent[]>).then((list) => this.#first(list));
    dirOps!.read(this, this.#id, options, (err, list) => {
      if (err) callback(err);
      else callback(null, this.#first(list!));
    });
  }

  readSync(): Dirent | null {
    if (this.#closed) throw dirClosed();
    const next = this.#buffered.shift();
    if (next !== undefined) return next;
    return this.#first(dirOps!.readSync(this, this.#id));
  }

  #first(list: Dirent[]): Dirent | null {
    if (list.length === 0) return null;
    this.#buffered = list.slice(1);
    return list[0]!;
  }

  /** Closes the directory; every later call throws ERR_DIR_CLOSED. */
  close(callback: FsCallback<void>): void;
  close(): Promise<void>;
  close(callback?: FsCallback<void>): void | Promise<void> {
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    if (this.#closed) throw dirClosed();
    // Marked closed only once the close started: when it throws (a read in flight:
    // ERR_DIR_CONCURRENT_OPERATION) the Dir stays open, to be closed later or by the registry.
    const request = dirOps!.close(this.#id, { loop: this.#loop }, callback);
    this.#markClosed();
    if (callback === undefined) return request as Promise<void>;
  }

  closeSync(): void {
    if (this.#closed) throw dirClosed();
    dirOps!.closeSync(this.#id);
    this.#markClosed();
  }

  #markClosed(): void {
    this.#closed = true;
    this.#buffered = [];
    Dir.#registry.unregister(this);
  }

  async *entries(): AsyncGenerator<Dirent, void, undefined> {
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

  [Symbol.asyncIterator](): AsyncGenerator<Dirent, void, undefined> {
    return this.entries();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }
}
