/**
 * Stats: the result of stat / lstat / fstat and of FSPoll, with the field names and types of
 * Node's fs.Stats (numbers, times in milliseconds, Dates made on first access as in Node 22).
 */

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** Number of values native code writes per stat (src/native/stats.h). */
export const STAT_FIELDS = 14;

// Math.round as Node's dateFromMs does, so `atime.getTime()` equals Node's.
function dateFromMs(ms: number): Date {
  return new Date(Math.round(ms));
}

export class Stats {
  dev: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
  ino: number;
  size: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  #atime: Date | undefined;
  #mtime: Date | undefined;
  #ctime: Date | undefined;
  #birthtime: Date | undefined;

  /** Reads the 14 values native code wrote at `offset` (order of src/native/stats.h). */
  constructor(values: ArrayLike<number>, offset = 0) {
    this.dev = values[offset]!;
    this.mode = values[offset + 1]!;
    this.nlink = values[offset + 2]!;
    this.uid = values[offset + 3]!;
    this.gid = values[offset + 4]!;
    this.rdev = values[offset + 5]!;
    this.blksize = values[offset + 6]!;
    this.ino = values[offset + 7]!;
    this.size = values[offset + 8]!;
    this.blocks = values[offset + 9]!;
    this.atimeMs = values[offset + 10]!;
    this.mtimeMs = values[offset + 11]!;
    this.ctimeMs = values[offset + 12]!;
    this.birthtimeMs = values[offset + 13]!;
  }

  get atime(): Date {
    return (this.#atime ??= dateFromMs(this.atimeMs));
  }
  set atime(value: Date) {
    this.#atime = value;
  }
  get mtime(): Date {
    return (this.#mtime ??= dateFromMs(this.mtimeMs));
  }
  set mtime(value: Date) {
    this.#mtime = value;
  }
  get ctime(): Date {
    return (this.#ctime ??= dateFromMs(this.ctimeMs));
  }
  set ctime(value: Date) {
    this.#ctime = value;
  }
  get birthtime(): Date {
    return (this.#birthtime ??= dateFromMs(this.birthtimeMs));
  }
  set birthtime(value: Date) {
    this.#birthtime = value;
  }

  isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
  isFIFO(): boolean {
    return (this.mode & S_IFMT) === S_IFIFO;
  }
  isSocket(): boolean {
    return (this.mode & S_IFMT) === S_IFSOCK;
  }
  isCharacterDevice(): boolean {
    return (this.mode & S_IFMT) === S_IFCHR;
  }
  isBlockDevice(): boolean {
    return (this.mode & S_IFMT) === S_IFBLK;
  }
}
