// fs operations one by one (API.md "fs"; pyuv tests/test_fs.py), each in its three forms: with a
// callback (which must return an FsRequest and be called exactly once), as a promise, and Sync. A
// small table helper (`run`) calls an op in a given form, so every test below runs three times.
// - pyuv's suite: stat/lstat/fstat, unlink, mkdir (+ EEXIST), rmdir, rename, chmod/fchmod, link
//   (same inode), symlink, readlink, chown(-1, -1), open/create/ENOENT, read at 2^31-1+4 (a sparse
//   file), write with NUL bytes, write at 2^31+3, the fsync/fdatasync chain, ftruncate, scandir,
//   sendfile with a 64 KiB hole and at offset 2^31, utime/futime (seconds, Date, fractional),
//   access, realpath;
// - what pyuv lacked: copyfile (COPYFILE_EXCL -> EEXIST), mkdtemp, mkstemp, statfs, lutime (the
//   link's times change, not the target's), opendir/Dir (read one at a time, readSync, for await,
//   bufferSize smaller than the directory, close twice, concurrent use), readv/writev and arrays of
//   buffers, strings with an encoding, reads into the caller's buffer (bytes outside the range
//   untouched: zero-copy);
// - errors: UVError with code, errno, syscall, path and dest, and the message Node's own fs gives
//   for the same failure; paths as strings, Buffers and file: URLs.
// Requests, loops, cancellation and the Stats cross-check are in fs.test.ts.
import { execFileSync } from 'node:child_process';
import * as nfs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BigIntStats, Dir, Dirent, errors, fs, FsRequest, Loop, Stats, UVError } from '../src/ts/index.js';
import { capture, expectBytes, NO_THROW, tick } from './helpers/assert.js';
import { runToEnd, until } from './helpers/loop.js';

// ---------------------------------------------------------------------------------------------
// helpers

const FORMS = ['callback', 'promise', 'sync'] as const;
type Form = (typeof FORMS)[number];
type AnyFn = (...args: unknown[]) => unknown;
const api = fs as unknown as Record<string, AnyFn>;
const { constants } = fs;

function fn(name: string): AnyFn {
  const f = api[name];
  if (typeof f !== 'function') throw new Error(`fs.${name} is not a function`);
  return f;
}

/**
 * fs[name](...args) in `form`: resolves to its value or rejects with its error. The callback form
 * must return an FsRequest and call back exactly once (checked a few loop turns after the first).
 * `extra` receives the callback's further arguments (read / write pass the buffer).
 */
async function run<T = unknown>(form: Form, name: string, ...args: unknown[]): Promise<T> {
  if (form === 'sync') return fn(`${name}Sync`)(...args) as T;
  if (form === 'promise') {
    const promise = fn(name)(...args);
    expect(promise).toBeInstanceOf(Promise);
    return await (promise as Promise<T>);
  }
  const calls: unknown[][] = [];
  const request = fn(name)(...args, (...cbArgs: unknown[]) => void calls.push(cbArgs));
  expect(request).toBeInstanceOf(FsRequest);
  expect(calls).toEqual([]); // never called synchronously
  await until(() => calls.length > 0, `the fs.${name} callback`);
  for (let i = 0; i < 3; i++) await tick();
  expect(calls.length, `calls of the fs.${name} callback`).toBe(1);
  const [err, value] = calls[0]!;
  if (err !== null) throw err;
  return value as T;
}

/** The callback's arguments after (err, value), for the ops that pass more (read, write). */
async function callbackArgs(name: string, ...args: unknown[]): Promise<unknown[]> {
  const calls: unknown[][] = [];
  fn(name)(...args, (...cbArgs: unknown[]) => void calls.push(cbArgs));
  await until(() => calls.length > 0, `the fs.${name} callback`);
  expect(calls[0]![0]).toBeNull();
  return calls[0]!;
}

/** fs[name](...args) in `form` fails with a UVError of `code` (errno and syscall matching). */
async function failure(form: Form, name: string, code: string, ...args: unknown[]): Promise<UVError> {
  const error = await run(form, name, ...args).then(
    () => NO_THROW,
    (e: unknown) => e,
  );
  expect(error, `fs.${name} (${form}) did not fail`).not.toBe(NO_THROW);
  expect(error).toBeInstanceOf(UVError);
  const uv = error as UVError;
  expect(uv.code).toBe(code);
  expect(uv.errno).toBe(errors.codes[code]);
  return uv;
}

/** The error Node's own fs throws (or rejects with) for `call`, to compare messages and fields with. */
async function nodeError(call: () => unknown): Promise<NodeJS.ErrnoException> {
  let error: unknown = NO_THROW;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error, 'Node’s fs did not fail').not.toBe(NO_THROW);
  return error as NodeJS.ErrnoException;
}

let dir = '';
beforeEach(() => {
  dir = nfs.realpathSync(nfs.mkdtempSync(path.join(tmpdir(), 'uvkit-fs-ops-')));
});
afterEach(() => {
  nfs.rmSync(dir, { recursive: true, force: true });
});

const at = (...parts: string[]): string => path.join(dir, ...parts);

function file(name: string, content: string | Buffer = ''): string {
  const p = at(name);
  nfs.writeFileSync(p, content);
  return p;
}

/** Opens with Node's fs for the test's duration (closed in `finally` by the caller). */
function nodeOpen(p: string, flags = 'r+'): number {
  return nfs.openSync(p, flags);
}

const umask = process.umask();
const GiB2 = 2 ** 31;

// ---------------------------------------------------------------------------------------------
// pyuv's suite, in all three forms

describe.each(FORMS)('%s form', (form) => {
  describe('stat family', () => {
    it('stat gives a Stats of the file (type, size, mode) equal to Node’s', async () => {
      const p = file('f', 'hello');
      const st = await run<Stats>(form, 'stat', p);
      expect(st).toBeInstanceOf(Stats);
      expect(st.isFile()).toBe(true);
      expect(st.isDirectory()).toBe(false);
      expect(st.size).toBe(5);
      const node = nfs.statSync(p);
      expect([st.ino, st.dev, st.mode, st.mtimeMs]).toEqual([node.ino, node.dev, node.mode, node.mtimeMs]);
    });

    it('stat of a missing path fails with ENOENT', async () => {
      const error = await failure(form, 'stat', 'ENOENT', at('missing'));
      expect(error.syscall).toBe('stat');
      expect(error.path).toBe(at('missing'));
    });

    it('lstat of a symlink sees the link (isSymbolicLink), stat follows it', async () => {
      const target = file('target', 'abc');
      nfs.symlinkSync(target, at('link'));
      const l = await run<Stats>(form, 'lstat', at('link'));
      expect(l.isSymbolicLink()).toBe(true);
      expect(l.ino).toBe(nfs.lstatSync(at('link')).ino);
      const s = await run<Stats>(form, 'stat', at('link'));
      expect(s.isFile()).toBe(true);
      expect(s.ino).toBe(nfs.statSync(target).ino);
    });

    it('stat, lstat and fstat with { bigint: true } give a BigIntStats equal to Node’s, field by field (nanosecond times, Dates)', async () => {
      const target = file('f', 'hello');
      // A time with nanoseconds that milliseconds in a double cannot keep.
      nfs.utimesSync(target, new Date(1_700_000_000_123), new Date(1_600_000_000_456));
      nfs.symlinkSync(target, at('link'));
      const fd = nodeOpen(target, 'r');
      try {
        const cases: Array<[string, unknown, nfs.BigIntStats]> = [
          ['stat', at('link'), nfs.statSync(at('link'), { bigint: true })],
          ['lstat', at('link'), nfs.lstatSync(at('link'), { bigint: true })],
          ['fstat', fd, nfs.fstatSync(fd, { bigint: true })],
        ];
        for (const [name, target, node] of cases) {
          const st = await run<BigIntStats>(form, name, target, { bigint: true });
          expect(st, name).toBeInstanceOf(BigIntStats);
          for (const key of Object.keys(node) as Array<keyof nfs.BigIntStats>) {
            // Each stat that follows the link sets the link's own atime here (tmpfs): not comparable.
            if (name === 'lstat' && key.startsWith('atime')) continue;
            const ours = (st as unknown as Record<string, unknown>)[key];
            const theirs = node[key];
            if (theirs instanceof Date) expect((ours as Date).getTime(), `${name} ${key}`).toBe(theirs.getTime());
            else expect(ours, `${name} ${key}`).toBe(theirs);
          }
          expect(st.isSymbolicLink(), name).toBe(name === 'lstat');
          expect(st.isFile(), name).toBe(name !== 'lstat');
        }
        // { bigint: false } is the plain Stats
        const plain = await run<Stats>(form, 'stat', target, { bigint: false });
        expect(plain).toBeInstanceOf(Stats);
        expect(plain.mtimeMs).toBe(nfs.statSync(target).mtimeMs);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('stat with a bigint option that is not a boolean: ERR_INVALID_ARG_TYPE, thrown before anything starts', () => {
      const p = file('f');
      for (const bad of [1, 'yes', null, {}]) {
        const call = (): unknown => (form === 'sync' ? fs.statSync(p, { bigint: bad } as never) : form === 'promise' ? fs.stat(p, { bigint: bad } as never) : fs.stat(p, { bigint: bad } as never, () => {}));
        const error = capture(call) as Error & { code?: string };
        expect(error, String(bad)).toBeInstanceOf(TypeError);
        expect(error.code, String(bad)).toBe('ERR_INVALID_ARG_TYPE');
        expect(error.message, String(bad)).toContain('"options.bigint"');
      }
      if (form === 'sync') expect(capture(() => fs.statSync(p, 'x' as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('fstat of an open fd', async () => {
      const p = file('f', '12345678');
      const fd = nodeOpen(p, 'r');
      try {
        const st = await run<Stats>(form, 'fstat', fd);
        expect(st.isFile()).toBe(true);
        expect(st.size).toBe(8);
        expect(st.ino).toBe(nfs.fstatSync(fd).ino);
      } finally {
        nfs.closeSync(fd);
      }
    });
  });

  describe('paths and directories', () => {
    it('unlink removes a file; a missing one fails with ENOENT', async () => {
      const p = file('f');
      expect(await run(form, 'unlink', p)).toBeUndefined();
      expect(nfs.existsSync(p)).toBe(false);
      await failure(form, 'unlink', 'ENOENT', p);
    });

    it('mkdir(path, 0o755) makes a directory with that mode (less the umask); again fails with EEXIST', async () => {
      const p = at('d');
      expect(await run(form, 'mkdir', p, 0o755)).toBeUndefined();
      const st = nfs.statSync(p);
      expect(st.isDirectory()).toBe(true);
      expect(st.mode & 0o777).toBe(0o755 & ~umask);
      const error = await failure(form, 'mkdir', 'EEXIST', p);
      expect(error.syscall).toBe('mkdir');
    });

    it('mkdir without a mode uses 0o777 (less the umask); an octal string is a mode', async () => {
      await run(form, 'mkdir', at('a'));
      expect(nfs.statSync(at('a')).mode & 0o777).toBe(0o777 & ~umask);
      await run(form, 'mkdir', at('b'), '700');
      expect(nfs.statSync(at('b')).mode & 0o777).toBe(0o700);
    });

    it('rmdir removes a directory; a missing one fails with ENOENT, a non-empty one with ENOTEMPTY', async () => {
      nfs.mkdirSync(at('d'));
      expect(await run(form, 'rmdir', at('d'))).toBeUndefined();
      expect(nfs.existsSync(at('d'))).toBe(false);
      await failure(form, 'rmdir', 'ENOENT', at('d'));
      nfs.mkdirSync(at('full'));
      file('full/x');
      await failure(form, 'rmdir', 'ENOTEMPTY', at('full'));
    });

    it('rename moves a file: the old name is gone, the new one has its content', async () => {
      const from = file('a', 'content');
      expect(await run(form, 'rename', from, at('b'))).toBeUndefined();
      expect(nfs.existsSync(from)).toBe(false);
      expect(nfs.readFileSync(at('b'), 'utf8')).toBe('content');
    });

    it('chmod(path, 0o777) gives rwx to user, group and other; fchmod too', async () => {
      const p = file('f');
      nfs.chmodSync(p, 0o600);
      expect(await run(form, 'chmod', p, 0o777)).toBeUndefined();
      expect(nfs.statSync(p).mode & 0o777).toBe(0o777);
      const fd = nodeOpen(p, 'r');
      try {
        expect(await run(form, 'fchmod', fd, 0o640)).toBeUndefined();
        expect(nfs.statSync(p).mode & 0o777).toBe(0o640);
        await run(form, 'fchmod', fd, '777');
        expect(nfs.statSync(p).mode & 0o777).toBe(0o777);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('link makes a second name of the same inode', async () => {
      const p = file('a', 'x');
      expect(await run(form, 'link', p, at('b'))).toBeUndefined();
      const [a, b] = [nfs.statSync(p), nfs.statSync(at('b'))];
      expect(b.ino).toBe(a.ino);
      expect(a.nlink).toBe(2);
    });

    it('symlink makes a link (S_IFLNK) that readlink reads back; a directory link with "dir"', async () => {
      file('test_file_1234', 'x');
      expect(await run(form, 'symlink', 'test_file_1234', at('link'))).toBeUndefined();
      expect(nfs.lstatSync(at('link')).mode & nfs.constants.S_IFMT).toBe(nfs.constants.S_IFLNK);
      expect(await run(form, 'readlink', at('link'))).toBe('test_file_1234');
      nfs.mkdirSync(at('d'));
      await run(form, 'symlink', at('d'), at('dlink'), 'dir');
      expect(nfs.readlinkSync(at('dlink'))).toBe(at('d'));
      expect(nfs.statSync(at('dlink')).isDirectory()).toBe(true);
    });

    it('readlink of a regular file fails with EINVAL', async () => {
      await failure(form, 'readlink', 'EINVAL', file('f'));
    });

    it('chown / fchown / lchown with -1, -1 succeed and change nothing; chown to the owner’s own ids works', async () => {
      const p = file('f');
      nfs.symlinkSync(p, at('l'));
      const before = nfs.statSync(p);
      expect(await run(form, 'chown', p, -1, -1)).toBeUndefined();
      expect(await run(form, 'lchown', at('l'), -1, -1)).toBeUndefined();
      const fd = nodeOpen(p, 'r');
      try {
        expect(await run(form, 'fchown', fd, -1, -1)).toBeUndefined();
      } finally {
        nfs.closeSync(fd);
      }
      await run(form, 'chown', p, before.uid, before.gid);
      const after = nfs.statSync(p);
      expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
      await failure(form, 'chown', 'ENOENT', at('missing'), -1, -1);
    });

    it('scandir lists two files, a subdirectory, a symlink and a FIFO with their types; a missing directory fails with ENOENT', async () => {
      file('file1');
      file('file2');
      nfs.mkdirSync(at('sub'));
      nfs.symlinkSync('file1', at('link'));
      execFileSync('mkfifo', [at('fifo')]);
      const entries = await run<Dirent[]>(form, 'scandir', dir);
      expect(entries.every((e) => e instanceof Dirent)).toBe(true);
      const byName = Object.fromEntries(entries.map((e) => [e.name, e.type]));
      expect(byName).toEqual({
        file1: constants.UV_DIRENT_FILE,
        file2: constants.UV_DIRENT_FILE,
        sub: constants.UV_DIRENT_DIR,
        link: constants.UV_DIRENT_LINK,
        fifo: constants.UV_DIRENT_FIFO,
      });
      const sub = entries.find((e) => e.name === 'sub')!;
      expect([sub.isDirectory(), sub.isFile(), sub.parentPath, sub.path]).toEqual([true, false, dir, dir]);
      expect(entries.find((e) => e.name === 'link')!.isSymbolicLink()).toBe(true);
      expect(entries.find((e) => e.name === 'fifo')!.isFIFO()).toBe(true);
      expect(await run<Dirent[]>(form, 'scandir', at('sub'))).toEqual([]);
      await failure(form, 'scandir', 'ENOENT', at('missing'));
    });

    it('access: F_OK of an existing path succeeds; a missing one fails with ENOENT; X_OK of a 0o644 file fails with EACCES (even for root)', async () => {
      const p = file('f');
      nfs.chmodSync(p, 0o644);
      expect(await run(form, 'access', p)).toBeUndefined();
      expect(await run(form, 'access', p, constants.F_OK)).toBeUndefined();
      expect(await run(form, 'access', p, constants.R_OK | constants.W_OK)).toBeUndefined();
      await failure(form, 'access', 'ENOENT', at('missing'), constants.F_OK);
      await failure(form, 'access', 'EACCES', p, constants.X_OK);
    });

    it('realpath of "." is the working directory’s real path (not "."); symlinks are resolved', async () => {
      const cwd = await run<string>(form, 'realpath', '.');
      expect(cwd).not.toBe('.');
      expect(cwd).toBe(nfs.realpathSync.native('.'));
      const target = file('t');
      nfs.mkdirSync(at('d'));
      nfs.symlinkSync('../t', at('d', 'l'));
      expect(await run(form, 'realpath', at('d', '.', 'l'))).toBe(target);
      await failure(form, 'realpath', 'ENOENT', at('missing'));
    });
  });

  describe('open, read, write', () => {
    it('open(O_WRONLY | O_CREAT) creates the file and gives an fd; close closes it', async () => {
      const p = at('new');
      const fd = await run<number>(form, 'open', p, constants.O_WRONLY | constants.O_CREAT, 0o640);
      expect(Number.isInteger(fd) && fd > 2).toBe(true);
      expect(nfs.fstatSync(fd).ino).toBe(nfs.statSync(p).ino);
      expect(nfs.statSync(p).mode & 0o777).toBe(0o640 & ~umask);
      expect(await run(form, 'close', fd)).toBeUndefined();
      expect(capture(() => nfs.fstatSync(fd))).toMatchObject({ code: 'EBADF' });
    });

    it('open of a missing file fails with ENOENT; Node’s flag strings work ("wx" on an existing file: EEXIST)', async () => {
      const error = await failure(form, 'open', 'ENOENT', at('missing'));
      expect([error.syscall, error.path]).toEqual(['open', at('missing')]);
      const fd = await run<number>(form, 'open', at('w'), 'w');
      await run(form, 'close', fd);
      expect(nfs.existsSync(at('w'))).toBe(true);
      await failure(form, 'open', 'EEXIST', at('w'), 'wx');
      const fd2 = await run<number>(form, 'open', at('w'), 'a+');
      try {
        nfs.writeSync(fd2, 'x');
        nfs.writeSync(fd2, 'y');
        expect(nfs.readFileSync(at('w'), 'utf8')).toBe('xy');
      } finally {
        nfs.closeSync(fd2);
      }
    });

    it('read(fd, buffer, 0, 4, null) reads "test" at the file position, and the next read goes on from there', async () => {
      const fd = nodeOpen(file('f', 'test1234567890'), 'r');
      try {
        const buffer = Buffer.alloc(4);
        expect(await run(form, 'read', fd, buffer, 0, 4, null)).toBe(4);
        expect(buffer.toString()).toBe('test');
        expect(await run(form, 'read', fd, buffer, 0, 4, -1)).toBe(4);
        expect(buffer.toString()).toBe('1234');
        expect(await run(form, 'read', fd, buffer)).toBe(4);
        expect(buffer.toString()).toBe('5678');
        expect(await run(form, 'read', fd, buffer, 0, 4, 0)).toBe(4);
        expect(buffer.toString()).toBe('test');
        expect(await run(form, 'read', fd, buffer, 0, 4, 100)).toBe(0); // past the end
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('read at position 2^31-1+4 of a sparse file gives "1234" (64-bit offsets)', async () => {
      const p = at('sparse');
      const fd = nodeOpen(p, 'w+');
      try {
        nfs.writeSync(fd, 'test1234', GiB2 - 1);
        expect(nfs.fstatSync(fd).blocks * 512).toBeLessThan(1024 * 1024); // sparse, not 2 GiB
        const buffer = Buffer.alloc(4);
        expect(await run(form, 'read', fd, buffer, 0, 4, GiB2 - 1 + 4)).toBe(4);
        expect(buffer.toString()).toBe('1234');
        expect(await run(form, 'read', fd, buffer, 0, 4, 2n ** 31n - 1n)).toBe(4); // a bigint position
        expect(buffer.toString()).toBe('test');
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('write(fd, "TEST") writes 4 bytes; data with NUL bytes arrives intact', async () => {
      const p = file('f');
      const fd = nodeOpen(p, 'r+');
      try {
        expect(await run(form, 'write', fd, Buffer.from('TEST'), 0, 4, -1)).toBe(4);
        expect(nfs.readFileSync(p, 'latin1')).toBe('TEST');
        expect(await run(form, 'write', fd, Buffer.from('TES\u0000T', 'latin1'), 0, 5, 0)).toBe(5);
        expect(nfs.readFileSync(p)).toEqual(Buffer.from('TES\u0000T', 'latin1'));
        expect(await run(form, 'write', fd, Buffer.from('a'))).toBe(1); // at the file position: after "TEST"
        expect(nfs.readFileSync(p, 'latin1')).toBe('TES\u0000a');
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('write at position 2^31+3 puts the data at that offset (a sparse file)', async () => {
      const p = at('sparse');
      const fd = nodeOpen(p, 'w+');
      try {
        expect(await run(form, 'write', fd, Buffer.from('test'), 0, 4, GiB2 + 3)).toBe(4);
        expect(nfs.fstatSync(fd).size).toBe(GiB2 + 7);
        const back = Buffer.alloc(6);
        expect(nfs.readSync(fd, back, 0, 6, GiB2 + 2)).toBe(5);
        expect(back.subarray(0, 5)).toEqual(Buffer.from('\u0000test', 'latin1'));
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('write of a string with an encoding; at a position, or at the file position', async () => {
      const p = file('f');
      const fd = nodeOpen(p, 'r+');
      try {
        expect(await run(form, 'write', fd, 'deadbeef', 0, 'hex')).toBe(4);
        expect(nfs.readFileSync(p)).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
        expect(await run(form, 'write', fd, 'héllo', 4)).toBe(6); // utf8 by default
        expect(await run(form, 'write', fd, 'AQID', 10, 'base64')).toBe(3);
        expect(await run(form, 'write', fd, 'hi', null, 'utf16le')).toBe(4); // at the file position (0: positioned writes don't move it)
        expect(nfs.readFileSync(p)).toEqual(Buffer.concat([Buffer.from('hi', 'utf16le'), Buffer.from('héllo'), Buffer.from([1, 2, 3])]));
        expect(await run(form, 'write', fd, 'ÿ', 13, 'latin1')).toBe(1);
        expect(nfs.readFileSync(p).at(13)).toBe(0xff);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('the fsync / fdatasync chain: write (4 bytes), fdatasync, fsync', async () => {
      const fd = nodeOpen(file('f'), 'r+');
      try {
        expect(await run(form, 'write', fd, Buffer.from('test'), 0, 4, -1)).toBe(4);
        expect(await run(form, 'fdatasync', fd)).toBeUndefined();
        expect(await run(form, 'fsync', fd)).toBeUndefined();
      } finally {
        nfs.closeSync(fd);
      }
      await failure(form, 'fsync', 'EBADF', 1_000_000);
      await failure(form, 'fdatasync', 'EBADF', 1_000_000);
    });

    it('ftruncate of "test-data" to 4 leaves "test", to 0 (the default) an empty file', async () => {
      const p = file('f', 'test-data');
      const fd = nodeOpen(p, 'r+');
      try {
        expect(await run(form, 'ftruncate', fd, 4)).toBeUndefined();
        expect(nfs.readFileSync(p, 'utf8')).toBe('test');
        expect(await run(form, 'ftruncate', fd)).toBeUndefined();
        expect(nfs.readFileSync(p, 'utf8')).toBe('');
        await run(form, 'ftruncate', fd, GiB2 + 10); // grows it, sparse
        expect(nfs.fstatSync(fd).size).toBe(GiB2 + 10);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('sendfile copies "begin\\n", a 64 KiB hole and "end\\n" into an identical file', async () => {
      const source = at('source');
      const fd = nodeOpen(source, 'w+');
      nfs.writeSync(fd, 'begin\n', 0);
      nfs.writeSync(fd, 'end\n', 6 + 65536);
      nfs.closeSync(fd);
      const input = nodeOpen(source, 'r');
      const output = nodeOpen(at('copy'), 'w+');
      try {
        expect(await run(form, 'sendfile', output, input, 0, 131072)).toBe(6 + 65536 + 4);
        expectBytes(nfs.readFileSync(at('copy')), nfs.readFileSync(source));
      } finally {
        nfs.closeSync(input);
        nfs.closeSync(output);
      }
    });

    it('sendfile from offset 2^31 copies the 4 bytes there', async () => {
      const source = at('source');
      const fd = nodeOpen(source, 'w+');
      nfs.writeSync(fd, 'test', GiB2);
      nfs.closeSync(fd);
      const input = nodeOpen(source, 'r');
      const output = nodeOpen(at('copy'), 'w+');
      try {
        expect(await run(form, 'sendfile', output, input, GiB2, 4)).toBe(4);
        expect(nfs.readFileSync(at('copy'), 'utf8')).toBe('test');
      } finally {
        nfs.closeSync(input);
        nfs.closeSync(output);
      }
    });
  });

  describe('times', () => {
    it('utime / futime set atime and mtime to 400497753 seconds', async () => {
      const p = file('f');
      expect(await run(form, 'utime', p, 400497753, 400497753)).toBeUndefined();
      let st = nfs.statSync(p);
      expect([st.atimeMs, st.mtimeMs]).toEqual([400497753000, 400497753000]);
      const fd = nodeOpen(p, 'r');
      try {
        expect(await run(form, 'futime', fd, 400497750, 400497751)).toBeUndefined();
        st = nfs.statSync(p);
        expect([st.atimeMs, st.mtimeMs]).toEqual([400497750000, 400497751000]);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('utime / futime take Dates, numeric strings and fractional seconds (times as Node’s utimes sets them)', async () => {
      const p = file('f');
      const q = file('g');
      await run(form, 'utime', p, 1234567890.25, '987654321.5');
      let st = nfs.statSync(p);
      expect([st.atimeMs, st.mtimeMs]).toEqual([1234567890250, 987654321500]);
      const a = new Date(1_600_000_000_123);
      const m = new Date(1_500_000_000_457);
      await run(form, 'utime', p, a, m);
      nfs.utimesSync(q, a, m);
      st = nfs.statSync(p);
      const node = nfs.statSync(q);
      expect([st.atimeMs, st.mtimeMs]).toEqual([node.atimeMs, node.mtimeMs]);
      expect(Math.abs(st.atimeMs - a.getTime())).toBeLessThan(0.001);
      expect(st.mtime.getTime()).toBe(m.getTime());
      const fd = nodeOpen(p, 'r');
      try {
        await run(form, 'futime', fd, new Date(2_000_000_000_000), 42.75);
        st = nfs.statSync(p);
        expect([st.atimeMs, st.mtimeMs]).toEqual([2_000_000_000_000, 42750]);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('lutime on a symlink changes the link’s times, not the target’s', async () => {
      const target = file('target');
      nfs.utimesSync(target, 1000, 2000);
      nfs.symlinkSync(target, at('link'));
      expect(await run(form, 'lutime', at('link'), 3000, 4000.5)).toBeUndefined();
      const link = nfs.lstatSync(at('link'));
      expect([link.atimeMs, link.mtimeMs]).toEqual([3_000_000, 4_000_500]);
      const t = nfs.statSync(target);
      expect([t.atimeMs, t.mtimeMs]).toEqual([1_000_000, 2_000_000]);
      // utime on the same link follows it
      await run(form, 'utime', at('link'), 5000, 6000);
      expect(nfs.statSync(target).mtimeMs).toBe(6_000_000);
      expect(nfs.lstatSync(at('link')).mtimeMs).toBe(4_000_500);
    });
  });

  describe('ops pyuv lacked', () => {
    it('copyfile copies content (and mode); COPYFILE_EXCL onto an existing file fails with EEXIST (path and dest set)', async () => {
      const src = file('src', 'payload \u0000 bytes');
      nfs.chmodSync(src, 0o640);
      expect(await run(form, 'copyfile', src, at('dst'))).toBeUndefined();
      expect(nfs.readFileSync(at('dst'), 'latin1')).toBe('payload \u0000 bytes');
      expect(nfs.statSync(at('dst')).mode & 0o777).toBe(0o640);
      // without EXCL an existing destination is replaced
      nfs.writeFileSync(src, 'new');
      await run(form, 'copyfile', src, at('dst'), 0);
      expect(nfs.readFileSync(at('dst'), 'utf8')).toBe('new');
      const error = await failure(form, 'copyfile', 'EEXIST', src, at('dst'), constants.COPYFILE_EXCL);
      expect([error.syscall, error.path, error.dest]).toEqual(['copyfile', src, at('dst')]);
      expect(nfs.readFileSync(at('dst'), 'utf8')).toBe('new');
      // FICLONE falls back to a copy where the file system cannot clone
      await run(form, 'copyfile', src, at('clone'), constants.COPYFILE_FICLONE);
      expect(nfs.readFileSync(at('clone'), 'utf8')).toBe('new');
    });

    it('mkdtemp makes a new 0o700 directory named prefix + 6 characters; each call another', async () => {
      const first = await run<string>(form, 'mkdtemp', at('tmp-'));
      const second = await run<string>(form, 'mkdtemp', at('tmp-'));
      for (const p of [first, second]) {
        expect(p).toMatch(new RegExp(`^${at('tmp-').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[A-Za-z0-9]{6}$`));
        const st = nfs.statSync(p);
        expect(st.isDirectory()).toBe(true);
        expect(st.mode & 0o777).toBe(0o700);
      }
      expect(first).not.toBe(second);
      const error = await failure(form, 'mkdtemp', 'ENOENT', at('missing', 'x-'));
      expect(error.path).toBe(at('missing', 'x-XXXXXX'));
    });

    it('mkstemp makes and opens a new 0o600 file: { fd, path }, the fd writes to that file', async () => {
      const made = await run<{ fd: number; path: string }>(form, 'mkstemp', at('tmp-'));
      try {
        expect(Object.keys(made).sort()).toEqual(['fd', 'path']);
        expect(made.path.startsWith(at('tmp-'))).toBe(true);
        expect(made.path).toHaveLength(at('tmp-').length + 6);
        expect(nfs.fstatSync(made.fd).ino).toBe(nfs.statSync(made.path).ino);
        expect(nfs.statSync(made.path).mode & 0o777).toBe(0o600);
        nfs.writeSync(made.fd, 'via fd');
        expect(nfs.readFileSync(made.path, 'utf8')).toBe('via fd');
      } finally {
        nfs.closeSync(made.fd);
      }
      await failure(form, 'mkstemp', 'ENOENT', at('missing', 'x-'));
    });

    it('statfs gives the file system’s numbers as Node’s statfs does', async () => {
      const ours = await run<fs.StatFs>(form, 'statfs', dir);
      const node = nfs.statfsSync(dir);
      expect(ours).toBeInstanceOf(fs.StatFs);
      expect([ours.type, ours.bsize, ours.blocks, ours.files]).toEqual([node.type, node.bsize, node.blocks, node.files]);
      for (const key of ['bfree', 'bavail', 'ffree'] as const) {
        expect(Number.isInteger(ours[key]) && ours[key] >= 0).toBe(true);
        expect(Math.abs(ours[key] - node[key])).toBeLessThan(ours.blocks / 100 + 1000); // others write to /tmp meanwhile
      }
      await failure(form, 'statfs', 'ENOENT', at('missing'));
    });

    it('readv / writev: one vectored call over an array of buffers, at a position or at the file position', async () => {
      const p = file('f');
      const fd = nodeOpen(p, 'r+');
      try {
        const parts = [Buffer.from('alpha-'), new Uint8Array([0x62, 0x65, 0x74, 0x61]), Buffer.from('-gamma')];
        expect(await run(form, 'writev', fd, parts)).toBe(16);
        expect(nfs.readFileSync(p, 'latin1')).toBe('alpha-beta-gamma');
        expect(await run(form, 'writev', fd, [Buffer.from('AL'), Buffer.from('PHA')], 0)).toBe(5);
        expect(nfs.readFileSync(p, 'latin1')).toBe('ALPHA-beta-gamma');
        const into = [Buffer.alloc(3), Buffer.alloc(4), Buffer.alloc(20)];
        expect(await run(form, 'readv', fd, into, 2)).toBe(14);
        expect(into.map((b) => b.toString('latin1'))).toEqual(['PHA', '-bet', 'a-gamma' + '\u0000'.repeat(13)]);
        // at the file position: after the first writev (positioned calls do not move it), the end
        expect(await run(form, 'readv', fd, [Buffer.alloc(4)])).toBe(0);
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('write / read with an array of buffers are vectored too', async () => {
      const p = file('f');
      const fd = nodeOpen(p, 'r+');
      try {
        expect(await run(form, 'write', fd, [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')])).toBe(13);
        expect(nfs.readFileSync(p, 'latin1')).toBe('one,two,three');
        const into = [Buffer.alloc(4), Buffer.alloc(4)];
        expect(await run(form, 'read', fd, into, null, null, 4)).toBe(8);
        expect(Buffer.concat(into).toString()).toBe('two,thre');
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('read fills the caller’s buffer at offset/length only, in place (zero-copy): bytes outside stay as they were', async () => {
      const p = file('f', 'ABCDEFGHIJ');
      const fd = nodeOpen(p, 'r');
      try {
        const buffer = Buffer.alloc(12, 0xaa);
        expect(await run(form, 'read', fd, buffer, 3, 4, 2)).toBe(4);
        expect([...buffer]).toEqual([0xaa, 0xaa, 0xaa, 0x43, 0x44, 0x45, 0x46, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
        // a view at an offset of a larger ArrayBuffer: the read lands in that memory
        const backing = new ArrayBuffer(16);
        new Uint8Array(backing).fill(0x55);
        const view = new Uint8Array(backing, 8, 4);
        expect(await run(form, 'read', fd, view, 1, 2, 0)).toBe(2);
        expect([...new Uint8Array(backing)]).toEqual([...Array(9).fill(0x55), 0x41, 0x42, ...Array(5).fill(0x55)]);
        // other views: a DataView and a Float64Array (bytes, not elements)
        const dv = new DataView(new ArrayBuffer(4));
        expect(await run(form, 'read', fd, dv, 0, 4, 6)).toBe(4);
        expect(Buffer.from(dv.buffer).toString()).toBe('GHIJ');
        const f64 = new Float64Array(2);
        expect(await run(form, 'read', fd, f64, 0, 16, 0)).toBe(10);
        expect(Buffer.from(f64.buffer).toString('latin1', 0, 10)).toBe('ABCDEFGHIJ');
      } finally {
        nfs.closeSync(fd);
      }
    });

    it('write sends the caller’s bytes at offset/length only', async () => {
      const p = file('f');
      const fd = nodeOpen(p, 'r+');
      try {
        const data = Buffer.from('0123456789');
        expect(await run(form, 'write', fd, data, 2, 3, 0)).toBe(3);
        expect(await run(form, 'write', fd, data.subarray(7), 1, null, 3)).toBe(2);
        expect(await run(form, 'write', fd, new Uint16Array([0x4241]), 0, 2, 5)).toBe(2);
        expect(nfs.readFileSync(p, 'latin1')).toBe('23489AB');
      } finally {
        nfs.closeSync(fd);
      }
    });
  });

  describe('paths as strings, Buffers and file: URLs', () => {
    it('stat, open, mkdir, rename, readlink and copyfile take Buffer and URL paths', async () => {
      const p = file('f', 'xyz');
      const ino = nfs.statSync(p).ino;
      expect((await run<Stats>(form, 'stat', Buffer.from(p))).ino).toBe(ino);
      expect((await run<Stats>(form, 'stat', new Uint8Array(Buffer.from(p)))).ino).toBe(ino);
      expect((await run<Stats>(form, 'stat', pathToFileURL(p))).ino).toBe(ino);
      const fd = await run<number>(form, 'open', pathToFileURL(p), 'r');
      try {
        expect(nfs.fstatSync(fd).ino).toBe(ino);
      } finally {
        nfs.closeSync(fd);
      }
      await run(form, 'mkdir', Buffer.from(at('buf-dir')));
      expect(nfs.statSync(at('buf-dir')).isDirectory()).toBe(true);
      await run(form, 'rename', pathToFileURL(at('buf-dir')), Buffer.from(at('moved')));
      expect(nfs.existsSync(at('moved'))).toBe(true);
      nfs.symlinkSync('f', at('l'));
      expect(await run(form, 'readlink', pathToFileURL(at('l')))).toBe('f');
      await run(form, 'copyfile', Buffer.from(p), pathToFileURL(at('copy')));
      expect(nfs.readFileSync(at('copy'), 'utf8')).toBe('xyz');
      // a URL with percent-escapes and a name with spaces and non-ASCII characters
      const odd = file('a b ü #1.txt', 'odd');
      expect((await run<Stats>(form, 'stat', pathToFileURL(odd))).ino).toBe(nfs.statSync(odd).ino);
      expect((await run<Dirent[]>(form, 'scandir', Buffer.from(dir))).map((e) => e.name)).toContain('a b ü #1.txt');
    });

    it("names that are not UTF-8 come back as their bytes with encoding 'buffer' (scandir, readlink, realpath, mkdtemp, mkstemp), as strings of any other encoding asked for", async () => {
      const raw = Buffer.from([0x66, 0xff, 0x67]); // "f", a byte that is not UTF-8, "g"
      const rawPath = Buffer.concat([Buffer.from(dir + '/'), raw]);
      nfs.writeFileSync(rawPath, '');
      nfs.symlinkSync(raw, at('link'));
      const names = await run<Array<Dirent<Buffer>>>(form, 'scandir', dir, { encoding: 'buffer' });
      expect(names.map((e) => Buffer.isBuffer(e.name))).toEqual([true, true]);
      expect(names.map((e) => e.name.toString('latin1')).sort()).toEqual(['f\xffg', 'link']);
      expect(names.every((e) => e.parentPath === dir)).toBe(true);
      // The default is UTF-8 strings (the byte decodes as U+FFFD), as Node's
      expect((await run<Dirent[]>(form, 'scandir', dir)).map((e) => e.name).sort()).toEqual(nfs.readdirSync(dir).sort());
      expect((await run<Dirent[]>(form, 'scandir', dir, 'latin1')).map((e) => e.name).sort()).toEqual(['f\xffg', 'link']);

      expect(await run(form, 'readlink', at('link'), 'buffer')).toEqual(raw);
      expect(await run(form, 'readlink', at('link'), { encoding: 'buffer' })).toEqual(nfs.readlinkSync(at('link'), 'buffer'));
      expect(await run(form, 'readlink', at('link'), { encoding: 'hex' })).toBe('66ff67');
      expect(await run(form, 'readlink', at('link'), { encoding: 'utf8' })).toBe(nfs.readlinkSync(at('link')));
      expect(await run(form, 'realpath', rawPath, 'buffer')).toEqual(nfs.realpathSync.native(rawPath, 'buffer'));

      const prefix = Buffer.concat([Buffer.from(dir + '/t-'), raw]);
      const made = await run<Buffer>(form, 'mkdtemp', prefix, { encoding: 'buffer' });
      expect(Buffer.isBuffer(made)).toBe(true);
      expect(made.subarray(0, prefix.length)).toEqual(prefix);
      expect(made.length).toBe(prefix.length + 6);
      expect(nfs.statSync(made).isDirectory()).toBe(true);
      const temp = await run<{ fd: number; path: Buffer }>(form, 'mkstemp', prefix, 'buffer');
      try {
        expect(temp.path.subarray(0, prefix.length)).toEqual(prefix);
        expect(nfs.fstatSync(temp.fd).ino).toBe(nfs.statSync(temp.path).ino);
      } finally {
        nfs.closeSync(temp.fd);
      }
    });

    it('an encoding that is not one: ERR_INVALID_ARG_VALUE, thrown before anything starts', () => {
      nfs.symlinkSync('f', at('link'));
      const before = nfs.readdirSync(dir).length;
      for (const [name, target] of [['readlink', at('link')], ['realpath', dir], ['mkdtemp', at('x-')], ['mkstemp', at('y-')], ['scandir', dir]] as const) {
        for (const bad of ['bogus', { encoding: 'bogus' }, { encoding: 5 }]) {
          const call = (): unknown => (form === 'sync' ? fn(`${name}Sync`)(target, bad) : form === 'promise' ? fn(name)(target, bad) : fn(name)(target, bad, () => {}));
          const error = capture(call) as Error & { code?: string };
          expect(error, `${name} ${JSON.stringify(bad)}`).toBeInstanceOf(TypeError);
          expect(error.code, `${name} ${JSON.stringify(bad)}`).toBe('ERR_INVALID_ARG_VALUE');
          expect(error.message).toContain("The argument 'encoding' is invalid encoding");
        }
      }
      expect(nfs.readdirSync(dir).length).toBe(before); // no temp file or directory made
    });

    it('a path of bytes that are not UTF-8 reaches the file system as those bytes', async () => {
      const name = Buffer.concat([Buffer.from(dir + '/raw-'), Buffer.from([0xff, 0xfe])]);
      const fd = await run<number>(form, 'open', name, 'w');
      nfs.closeSync(fd);
      expect(nfs.readdirSync(dir, { encoding: 'buffer' }).some((n) => n.equals(Buffer.from([0x72, 0x61, 0x77, 0x2d, 0xff, 0xfe])))).toBe(true);
      expect((await run<Stats>(form, 'stat', name)).isFile()).toBe(true);
      await run(form, 'unlink', name);
      expect(nfs.readdirSync(dir)).toEqual([]);
    });

    it('errors name the path as given (a Buffer’s text, a URL’s file path)', async () => {
      const missing = at('missing file');
      expect((await failure(form, 'stat', 'ENOENT', Buffer.from(missing))).path).toBe(missing);
      expect((await failure(form, 'stat', 'ENOENT', pathToFileURL(missing))).path).toBe(missing);
      const e = await failure(form, 'rename', 'ENOENT', Buffer.from(missing), pathToFileURL(at('to')));
      expect([e.path, e.dest]).toEqual([missing, at('to')]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The callback chain pyuv's Fsync test uses, literally

describe('callback chains', () => {
  it('write -> fdatasync -> fsync -> close, each started from the previous callback', async () => {
    const p = at('f');
    const steps: string[] = [];
    let done = false;
    fs.open(p, 'w', (err, fd) => {
      steps.push(`open ${err === null}`);
      fs.write(fd!, Buffer.from('test'), 0, 4, -1, (err2, n) => {
        steps.push(`write ${err2 === null} ${n}`);
        fs.fdatasync(fd!, (err3) => {
          steps.push(`fdatasync ${err3 === null}`);
          fs.fsync(fd!, (err4) => {
            steps.push(`fsync ${err4 === null}`);
            fs.close(fd!, (err5) => {
              steps.push(`close ${err5 === null}`);
              done = true;
            });
          });
        });
      });
    });
    await until(() => done, 'the chain');
    expect(steps).toEqual(['open true', 'write true 4', 'fdatasync true', 'fsync true', 'close true']);
    expect(nfs.readFileSync(p, 'utf8')).toBe('test');
  });

  it('read and write callbacks get the buffer as their third argument (as Node’s)', async () => {
    const p = file('f', 'abcdef');
    const fd = nodeOpen(p, 'r+');
    try {
      const buffer = Buffer.alloc(3);
      const readArgs = await callbackArgs('read', fd, buffer, 0, 3, 0);
      expect(readArgs[1]).toBe(3);
      expect(readArgs[2]).toBe(buffer);
      const data = Buffer.from('XY');
      const writeArgs = await callbackArgs('write', fd, data, 0, 2, 0);
      expect(writeArgs[1]).toBe(2);
      expect(writeArgs[2]).toBe(data);
      const list = [Buffer.from('1'), Buffer.from('2')];
      const writevArgs = await callbackArgs('writev', fd, list, 4);
      expect(writevArgs.slice(1)).toEqual([2, list]);
      expect(writevArgs[2]).toBe(list);
      expect(nfs.readFileSync(p, 'latin1')).toBe('XYcd12');
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('a vectored write keeps its buffers alive and unchanged even when the caller empties its array and GC runs', async () => {
    const p = at('v');
    const fd = nodeOpen(p, 'w');
    try {
      const total = 64;
      const pending: Promise<number>[] = [];
      for (let i = 0; i < total; i++) {
        const list = [Buffer.alloc(4096, 65 + (i % 26)), Buffer.alloc(4096, 97 + (i % 26))];
        pending.push(fs.writev(fd, list, i * 8192));
        list.length = 0; // the request must not depend on the caller's array
      }
      (globalThis as { gc?: () => void }).gc?.();
      expect(await Promise.all(pending)).toEqual(new Array(total).fill(8192));
      const bytes = nfs.readFileSync(p);
      for (let i = 0; i < total; i++) {
        expect(bytes[i * 8192]).toBe(65 + (i % 26));
        expect(bytes[i * 8192 + 8191]).toBe(97 + (i % 26));
      }
    } finally {
      nfs.closeSync(fd);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// opendir / Dir

describe('opendir and Dir', () => {
  const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

  function populate(): void {
    for (const name of NAMES) file(name);
  }

  it.each(FORMS)('opendir (%s form) gives a Dir; read() returns the entries one at a time, then null', async (form) => {
    populate();
    const d = await run<Dir>(form, 'opendir', dir);
    expect(d).toBeInstanceOf(Dir);
    expect(d.path).toBe(dir);
    const seen: string[] = [];
    for (;;) {
      const entry = await d.read();
      if (entry === null) break;
      expect(entry).toBeInstanceOf(Dirent);
      expect(entry.isFile()).toBe(true);
      expect(entry.parentPath).toBe(dir);
      seen.push(entry.name);
    }
    expect(seen.sort()).toEqual(NAMES);
    expect(await d.read()).toBeNull(); // and stays at the end
    await d.close();
  });

  it('opendir of a missing directory fails with ENOENT, of a file with ENOTDIR (in all forms)', async () => {
    for (const form of FORMS) {
      expect((await failure(form, 'opendir', 'ENOENT', at('missing'))).syscall).toBe('opendir');
      await failure(form, 'opendir', 'ENOTDIR', file('plain'));
    }
  });

  it('read(callback) gives one entry per call; close(callback) closes', async () => {
    populate();
    const d = fs.opendirSync(dir);
    const seen: Array<string | null> = [];
    let errorsSeen = 0;
    let closed = false;
    const next = (): void => {
      d.read((err, entry) => {
        if (err) errorsSeen++;
        seen.push(entry?.name ?? null);
        if (entry) next();
        else d.close((err2) => (closed = err2 === null));
      });
    };
    next();
    await until(() => closed, 'the close callback');
    expect(errorsSeen).toBe(0);
    expect(seen.at(-1)).toBeNull();
    expect(seen.slice(0, -1).sort()).toEqual(NAMES);
  });

  it('readSync and closeSync', () => {
    populate();
    const d = fs.opendirSync(dir, { bufferSize: 3 });
    const seen: string[] = [];
    for (let e = d.readSync(); e !== null; e = d.readSync()) seen.push(e.name);
    expect(seen.sort()).toEqual(NAMES);
    expect(d.readSync()).toBeNull();
    d.closeSync();
  });

  it('for await reads every entry and closes the Dir (read() afterwards: ERR_DIR_CLOSED)', async () => {
    populate();
    const d = await fs.opendir(dir);
    const seen: string[] = [];
    for await (const entry of d) seen.push(entry.name);
    expect(seen.sort()).toEqual(NAMES);
    expect(capture(() => d.readSync())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
  });

  it('breaking out of for await closes the Dir too', async () => {
    populate();
    const d = await fs.opendir(dir, { bufferSize: 2 });
    for await (const entry of d) {
      expect(NAMES).toContain(entry.name);
      break;
    }
    expect(capture(() => d.closeSync())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
  });

  it.each([1, 2, 3, 6])('bufferSize %i (smaller than the 7 entries): every entry exactly once, in all three read styles', async (bufferSize) => {
    populate();
    const viaPromise = await fs.opendir(dir, { bufferSize });
    const a: string[] = [];
    for (let e = await viaPromise.read(); e !== null; e = await viaPromise.read()) a.push(e.name);
    await viaPromise.close();
    const viaSync = fs.opendirSync(dir, { bufferSize });
    const b: string[] = [];
    for (let e = viaSync.readSync(); e !== null; e = viaSync.readSync()) b.push(e.name);
    viaSync.closeSync();
    // alternating sync and async reads share the same batches
    const mixed = fs.opendirSync(dir, { bufferSize });
    const c: string[] = [];
    for (let i = 0; ; i++) {
      const e = i % 2 === 0 ? mixed.readSync() : await mixed.read();
      if (e === null) break;
      c.push(e.name);
    }
    mixed.closeSync();
    for (const list of [a, b, c]) expect(list.sort()).toEqual(NAMES);
  });

  it('an empty directory reads null at once', async () => {
    nfs.mkdirSync(at('empty'));
    const d = fs.opendirSync(at('empty'));
    expect(await d.read()).toBeNull();
    expect(d.readSync()).toBeNull();
    await d.close();
  });

  it('entry types: file, directory, symlink, FIFO', async () => {
    file('f');
    nfs.mkdirSync(at('d'));
    nfs.symlinkSync('f', at('l'));
    execFileSync('mkfifo', [at('p')]);
    const d = fs.opendirSync(dir);
    const types: Record<string, number> = {};
    for await (const e of d) types[e.name] = e.type;
    expect(types).toEqual({ f: constants.UV_DIRENT_FILE, d: constants.UV_DIRENT_DIR, l: constants.UV_DIRENT_LINK, p: constants.UV_DIRENT_FIFO });
  });

  it('close twice: ERR_DIR_CLOSED (close, closeSync, read, readSync, and with a callback)', async () => {
    populate();
    const d = fs.opendirSync(dir);
    await d.close();
    for (const call of [() => d.close(), () => d.closeSync(), () => d.read(), () => d.readSync(), () => d.close(() => {}), () => d.read(() => {})]) {
      const error = capture(call) as Error & { code?: string };
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe('ERR_DIR_CLOSED');
    }
    const e = fs.opendirSync(dir);
    e.closeSync();
    expect(capture(() => e.closeSync())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
  });

  it("opendir with an encoding: names are Buffers with 'buffer' (read, readSync, for await), strings of that encoding otherwise", async () => {
    const raw = Buffer.from([0x66, 0xff]);
    nfs.writeFileSync(Buffer.concat([Buffer.from(dir + '/'), raw]), '');
    const expected = ['f\xff'];
    const viaRead = await fs.opendir(dir, { encoding: 'buffer', bufferSize: 1 });
    const first = await viaRead.read();
    expect(Buffer.isBuffer(first?.name)).toBe(true);
    expect(first!.name.equals(raw)).toBe(true);
    expect(await viaRead.read()).toBeNull();
    await viaRead.close();
    const viaSync = fs.opendirSync(dir, { encoding: 'buffer' });
    expect(viaSync.readSync()!.name.toString('latin1')).toBe(expected[0]);
    viaSync.closeSync();
    const seen: string[] = [];
    for await (const entry of fs.opendirSync(dir, { encoding: 'latin1' })) seen.push(entry.name);
    expect(seen).toEqual(expected);
    expect(capture(() => fs.opendirSync(dir, { encoding: 'bogus' as never }))).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('sync calls while a read is in flight: ERR_DIR_CONCURRENT_OPERATION, thrown at once; the Dir stays usable', async () => {
    populate();
    const d = fs.opendirSync(dir, { bufferSize: 2 });
    const first = d.read();
    for (const call of [() => d.readSync(), () => d.closeSync()]) {
      expect(capture(call)).toMatchObject({ code: 'ERR_DIR_CONCURRENT_OPERATION' });
    }
    const entry = await first;
    expect(NAMES).toContain(entry?.name);
    // nothing was lost or closed by the refused calls
    const rest: string[] = [];
    for (let e = d.readSync(); e !== null; e = d.readSync()) rest.push(e.name);
    expect([entry!.name, ...rest].sort()).toEqual(NAMES);
    await d.close();
  });

  it('reads and a close asked for while a read is in flight wait for it and run in order (promises and callbacks mixed)', async () => {
    populate();
    const d = fs.opendirSync(dir, { bufferSize: 2 });
    const order: string[] = [];
    const viaCallback = (): Promise<Dirent | null> =>
      new Promise((resolve, reject) => d.read((err, entry) => (err ? reject(err) : resolve(entry ?? null))));
    const reads: Array<Promise<Dirent | null>> = [];
    for (let i = 0; i <= NAMES.length; i++) {
      const read = i % 2 === 0 ? d.read() : viaCallback();
      reads.push(read.then((entry) => (order.push(entry?.name ?? 'null'), entry)));
    }
    const closed = d.close().then(() => order.push('closed'));
    // Asked for after the close: refused at once, whatever the form.
    expect(capture(() => d.read())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
    expect(capture(() => d.read(() => {}))).toMatchObject({ code: 'ERR_DIR_CLOSED' });
    expect(capture(() => d.close())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
    const entries = await Promise.all(reads);
    await closed;
    expect(entries.slice(0, NAMES.length).map((e) => e!.name).sort()).toEqual(NAMES);
    expect(entries[NAMES.length]).toBeNull();
    expect(order.at(-1)).toBe('closed');
    expect(order.slice(0, -1)).toEqual(entries.map((e) => e?.name ?? 'null'));
  });

  it('a close with a callback behind a read in flight closes the Dir once the read is done', async () => {
    populate();
    const d = fs.opendirSync(dir, { bufferSize: 1 });
    const first = d.read();
    const closed = new Promise<Error | null>((resolve) => d.close((err) => resolve(err)));
    expect((await first)?.name).toBeDefined();
    expect(await closed).toBeNull();
    expect(capture(() => d.readSync())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
  });

  it('Dir of a private loop: callback reads asked for together all complete in one run(), in order', () => {
    populate();
    const loop = new Loop();
    const d = fs.opendirSync(dir, { loop, bufferSize: 3 });
    const seen: Array<string | null> = [];
    const errors: unknown[] = [];
    try {
      for (let i = 0; i <= NAMES.length; i++) {
        d.read((err, entry) => {
          if (err) errors.push(err);
          else seen.push(entry?.name ?? null);
        });
      }
      let closeResult: Error | null | undefined;
      d.close((err) => (closeResult = err));
      runToEnd(loop);
      expect(errors).toEqual([]);
      expect(seen.at(-1)).toBeNull();
      expect(seen.slice(0, -1).sort()).toEqual(NAMES);
      expect(closeResult).toBeNull();
    } finally {
      loop.close();
    }
  });

  // Entries a Dir already holds (bufferSize > 1) are handed out from the Dir's loop (an Idle turn
  // on a private loop): with process.nextTick, run() returned after the first entry of each batch.
  it('Dir.read(callback) on a Dir of a private loop: one run() reads the whole directory', () => {
    populate();
    const loop = new Loop();
    const d = fs.opendirSync(dir, { loop, bufferSize: 3 });
    const seen: string[] = [];
    let done = false;
    let closed = false;
    const next = (): void => {
      if (closed) return; // (a deferred callback after the test closed the Dir)
      d.read((err, entry) => {
        if (err === null && entry) {
          seen.push(entry.name);
          next();
        } else {
          done = true;
        }
      });
    };
    try {
      next();
      runToEnd(loop);
      expect(seen.sort()).toEqual(NAMES);
      expect(done).toBe(true);
    } finally {
      closed = true;
      d.closeSync();
      loop.close();
    }
  });

  it('a Dir opened with { loop } reads and closes through that loop; once the loop is closed, async calls throw ERR_LOOP_CLOSED and closeSync() still closes it', async () => {
    populate();
    const loop = new Loop();
    const d = fs.opendirSync(dir, { loop, bufferSize: 1 }); // (one entry per batch: no buffered entries, see above)
    const seen: string[] = [];
    let done = false;
    const next = (): void => {
      d.read((err, entry) => {
        if (err === null && entry) {
          seen.push(entry.name);
          next();
        } else {
          done = true;
        }
      });
    };
    next();
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual([]); // nothing happens until the loop runs
    runToEnd(loop);
    expect(done).toBe(true);
    expect(seen.sort()).toEqual(NAMES);
    const promised = fs.opendir(dir, { loop, bufferSize: 1 });
    runToEnd(loop);
    const other = await promised;
    const first = other.read();
    runToEnd(loop);
    expect(NAMES).toContain((await first)?.name);
    loop.close();
    expect(capture(() => other.read())).toMatchObject({ code: 'ERR_LOOP_CLOSED' });
    expect(capture(() => other.close())).toMatchObject({ code: 'ERR_LOOP_CLOSED' });
    expect(other.readSync()).not.toBeNull(); // still open
    other.closeSync();
    d.closeSync();
  });

  it('Symbol.asyncDispose closes an open Dir (and is a no-op on a closed one)', async () => {
    populate();
    const d = fs.opendirSync(dir);
    await d[Symbol.asyncDispose]();
    expect(capture(() => d.readSync())).toMatchObject({ code: 'ERR_DIR_CLOSED' });
    await d[Symbol.asyncDispose]();
  });
});

// ---------------------------------------------------------------------------------------------
// Errors: fields and Node's messages

describe('errors: UVError fields and Node’s messages', () => {
  interface Case {
    name: string;
    args: () => unknown[];
    node: () => unknown;
    code: string;
    dest?: boolean;
  }
  const missing = (): string => at('missing');
  const cases: Case[] = [
    { name: 'open', args: () => [missing()], node: () => nfs.openSync(missing(), 'r'), code: 'ENOENT' },
    { name: 'stat', args: () => [missing()], node: () => nfs.statSync(missing()), code: 'ENOENT' },
    { name: 'lstat', args: () => [missing()], node: () => nfs.lstatSync(missing()), code: 'ENOENT' },
    { name: 'statfs', args: () => [missing()], node: () => nfs.statfsSync(missing()), code: 'ENOENT' },
    { name: 'unlink', args: () => [missing()], node: () => nfs.unlinkSync(missing()), code: 'ENOENT' },
    { name: 'rmdir', args: () => [missing()], node: () => nfs.rmdirSync(missing()), code: 'ENOENT' },
    { name: 'mkdir', args: () => [dir], node: () => nfs.mkdirSync(dir), code: 'EEXIST' },
    { name: 'readlink', args: () => [dir], node: () => nfs.readlinkSync(dir), code: 'EINVAL' },
    { name: 'realpath', args: () => [missing()], node: () => nfs.realpathSync.native(missing()), code: 'ENOENT' },
    { name: 'chmod', args: () => [missing(), 0o644], node: () => nfs.chmodSync(missing(), 0o644), code: 'ENOENT' },
    { name: 'chown', args: () => [missing(), -1, -1], node: () => nfs.chownSync(missing(), -1, -1), code: 'ENOENT' },
    { name: 'lchown', args: () => [missing(), -1, -1], node: () => nfs.lchownSync(missing(), -1, -1), code: 'ENOENT' },
    { name: 'utime', args: () => [missing(), 1, 2], node: () => nfs.utimesSync(missing(), 1, 2), code: 'ENOENT' },
    { name: 'lutime', args: () => [missing(), 1, 2], node: () => nfs.lutimesSync(missing(), 1, 2), code: 'ENOENT' },
    { name: 'access', args: () => [missing()], node: () => nfs.accessSync(missing()), code: 'ENOENT' },
    { name: 'scandir', args: () => [missing()], node: () => nfs.readdirSync(missing()), code: 'ENOENT' },
    // (Node 20's opendirSync leaves the path out of its message; its promise form has it)
    { name: 'opendir', args: () => [missing()], node: () => nfs.promises.opendir(missing()), code: 'ENOENT' },
    { name: 'mkdtemp', args: () => [at('missing', 'p-')], node: () => nfs.mkdtempSync(at('missing', 'p-')), code: 'ENOENT' },
    { name: 'rename', args: () => [missing(), at('to')], node: () => nfs.renameSync(missing(), at('to')), code: 'ENOENT', dest: true },
    { name: 'link', args: () => [missing(), at('to')], node: () => nfs.linkSync(missing(), at('to')), code: 'ENOENT', dest: true },
    { name: 'copyfile', args: () => [missing(), at('to')], node: () => nfs.copyFileSync(missing(), at('to')), code: 'ENOENT', dest: true },
    { name: 'symlink', args: () => ['target', dir], node: () => nfs.symlinkSync('target', dir), code: 'EEXIST', dest: true },
    { name: 'close', args: () => [1_000_000], node: () => nfs.closeSync(1_000_000), code: 'EBADF' },
    { name: 'fstat', args: () => [1_000_000], node: () => nfs.fstatSync(1_000_000), code: 'EBADF' },
    { name: 'fsync', args: () => [1_000_000], node: () => nfs.fsyncSync(1_000_000), code: 'EBADF' },
    { name: 'fdatasync', args: () => [1_000_000], node: () => nfs.fdatasyncSync(1_000_000), code: 'EBADF' },
    { name: 'ftruncate', args: () => [1_000_000, 1], node: () => nfs.ftruncateSync(1_000_000, 1), code: 'EBADF' },
    { name: 'fchmod', args: () => [1_000_000, 0o644], node: () => nfs.fchmodSync(1_000_000, 0o644), code: 'EBADF' },
    { name: 'fchown', args: () => [1_000_000, -1, -1], node: () => nfs.fchownSync(1_000_000, -1, -1), code: 'EBADF' },
    { name: 'futime', args: () => [1_000_000, 1, 2], node: () => nfs.futimesSync(1_000_000, 1, 2), code: 'EBADF' },
    { name: 'read', args: () => [1_000_000, Buffer.alloc(1)], node: () => nfs.readSync(1_000_000, Buffer.alloc(1)), code: 'EBADF' },
    { name: 'write', args: () => [1_000_000, Buffer.alloc(1)], node: () => nfs.writeSync(1_000_000, Buffer.alloc(1)), code: 'EBADF' },
  ];

  it('covers every op that can fail on a path or fd the way Node can', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  describe.each(FORMS)('%s form', (form) => {
    it.each(cases)('$name: code, errno, syscall, path / dest and message as Node’s', async ({ name, args, node, code, dest }) => {
      const expected = await nodeError(node);
      const error = await failure(form, name, code, ...args());
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('UVError');
      expect(error.message).toBe(expected.message);
      expect(error.code).toBe(expected.code);
      expect(error.errno).toBe(expected.errno);
      expect(error.syscall).toBe(expected.syscall);
      expect(error.path).toBe(expected.path);
      expect(error.dest).toBe((expected as { dest?: string }).dest);
      expect('path' in error).toBe(expected.path !== undefined);
      expect('dest' in error).toBe(dest === true);
    });
  });

  it('the message for a Buffer path is Node’s for the same path', async () => {
    const expected = await nodeError(() => nfs.openSync(Buffer.from(at('missing')), 'r'));
    expect((await failure('sync', 'open', 'ENOENT', Buffer.from(at('missing')))).message).toBe(expected.message);
    expect((await failure('promise', 'open', 'ENOENT', Buffer.from(at('missing')))).message).toBe(expected.message);
  });
});
