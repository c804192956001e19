/**
 * Stats: the result of stat / lstat / fstat and of FSPoll, with the field names and types of
 * Node's fs.Stats (numbers, times in milliseconds, Dates made on first access as in Node 22), and
 * BigIntStats, the `{ bigint: true }` result (every field a bigint, plus times in nanoseconds).
 */

import { binding } from './binding.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** Number of values native code writes per stat (src/native/stats.h). */
export const STAT_FIELDS = binding.statFields;

// Where native code writes each value (src/native/stats.h); a time is (seconds, nanoseconds).
const enum At {
  dev, mode, nlink, uid, gid, rdev, blksize, inoHigh, inoLow, size, blocks,
  atime, mtime = atime + 2, ctime = mtime + 2, birthtime = ctime + 2,
}

// Math.round as Node's dateFromMs does, so `atime.getTime()` equals Node's.
function dateFromMs(ms: number): Date {
  return new Date(Math.round(ms));
}

// The same arithmetic as Node's msFromTimeSpec, so the values compare equal to fs.Stats ones.
function millis(values: ArrayLike<number>, at: number): number {
  return values[at]! * 1e3 + values[at + 1]! / 1e6;
}

function nanos(values: ArrayLike<number>, at: number): bigint {
  return BigInt(values[at]!) * 1_000_000_000n + BigInt(values[at + 1]!);
}

/** The times of a stat as Dates, made on first access. */
abstract class StatTimes {
  #atime: Date | undefined;
  #mtime: Date | undefined;
  #ctime: Date | undefined;
  #birthtime: Date | undefined;
  abstract readonly atimeMs: number | bigint;
  abstract readonly mtimeMs: number | bigint;
  abstract readonly ctimeMs: number | bigint;
  abstract readonly birthtimeMs: number | bigint;

  get atime(): Date {
    return (this.#atime ??= dateFromMs(Number(this.atimeMs)));
  }
  set atime(value: Date) {
    this.#atime = value;
  }
  get mtime(): Date {
    return (this.#mtime ??= dateFromMs(Number(this.mtimeMs)));
  }
  set mtime(value: Date) {
    this.#mtime = value;
  }
  get ctime(): Date {
    return (this.#ctime ??= dateFromMs(Number(this.ctimeMs)));
  }
  set ctime(value: Date) {
    this.#ctime = value;
  }
  get birthtime(): Date {
    return (this.#birthtime ??= dateFromMs(Number(this.birthtimeMs)));
  }
  set birthtime(value: Date) {
    this.#birthtime = value;
  }

  protected abstract fileType(): number;

  isFile(): boolean {
    return this.fileType() === S_IFREG;
  }
  isDirectory(): boolean {
    return this.fileType() === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return this.fileType() === S_IFLNK;
  }
  isFIFO(): boolean {
    return this.fileType() === S_IFIFO;
  }
  isSocket(): boolean {
    return this.fileType() === S_IFSOCK;
  }
  isCharacterDevice(): boolean {
    return this.fileType() === S_IFCHR;
  }
  isBlockDevice(): boolean {
    return this.fileType() === S_IFBLK;
  }
}

export class Stats extends StatTimes {
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

  /** @internal Reads the values native code wrote at `offset` (order of src/native/stats.h). */
  constructor(values: ArrayLike<number>, offset = 0) {
    super();
    this.dev = values[offset + At.dev]!;
    this.mode = values[offset + At.mode]!;
    this.nlink = values[offset + At.nlink]!;
    this.uid = values[offset + At.uid]!;
    this.gid = values[offset + At.gid]!;
    this.rdev = values[offset + At.rdev]!;
    this.blksize = values[offset + At.blksize]!;
    this.ino = values[offset + At.inoHigh]! * 2 ** 32 + values[offset + At.inoLow]!;
    this.size = values[offset + At.size]!;
    this.blocks = values[offset + At.blocks]!;
    this.atimeMs = millis(values, offset + At.atime);
    this.mtimeMs = millis(values, offset + At.mtime);
    this.ctimeMs = millis(values, offset + At.ctime);
    this.birthtimeMs = millis(values, offset + At.birthtime);
  }

  protected fileType(): number {
    return this.mode & S_IFMT;
  }
}

/**
 * The result of stat / lstat / fstat with `{ bigint: true }`, as Node's fs.BigIntStats: every
 * field a bigint (the inode number whole), times also in nanoseconds (`atimeNs`...).
 */
export class BigIntStats extends StatTimes {
  dev: bigint;
  mode: bigint;
  nlink: bigint;
  uid: bigint;
  gid: bigint;
  rdev: bigint;
  blksize: bigint;
  ino: bigint;
  size: bigint;
  blocks: bigint;
  atimeMs: bigint;
  mtimeMs: bigint;
  ctimeMs: bigint;
  birthtimeMs: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;

  /** @internal Reads the values native code wrote at `offset` (order of src/native/stats.h). */
  constructor(values: ArrayLike<number>, offset = 0) {
    super();
    this.dev = BigInt(values[offset + At.dev]!);
    this.mode = BigInt(values[offset + At.mode]!);
    this.nlink = BigInt(values[offset + At.nlink]!);
    this.uid = BigInt(values[offset + At.uid]!);
    this.gid = BigInt(values[offset + At.gid]!);
    this.rdev = BigInt(values[offset + At.rdev]!);
    this.blksize = BigInt(values[offset + At.blksize]!);
    this.ino = (BigInt(values[offset + At.inoHigh]!) << 32n) | BigInt(values[offset + At.inoLow]!);
    this.size = BigInt(values[offset + At.size]!);
    this.blocks = BigInt(values[offset + At.blocks]!);
    this.atimeNs = nanos(values, offset + At.atime);
    this.mtimeNs = nanos(values, offset + At.mtime);
    this.ctimeNs = nanos(values, offset + At.ctime);
    this.birthtimeNs = nanos(values, offset + At.birthtime);
    // Node's BigIntStats: whole milliseconds, rounded down.
    this.atimeMs = this.atimeNs / 1_000_000n;
    this.mtimeMs = this.mtimeNs / 1_000_000n;
    this.ctimeMs = this.ctimeNs / 1_000_000n;
    this.birthtimeMs = this.birthtimeNs / 1_000_000n;
  }

  protected fileType(): number {
    return Number(this.mode) & S_IFMT;
  }
}
