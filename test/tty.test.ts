// TTY streams (API.md "Streams", DESIGN.md "Lifetime" and "Errors").
//
// Node has no pty API, but the master side of a pseudo-terminal is a terminal: an fd from
// openSync('/dev/ptmx') is what the in-process tests give to `new TTY(fd)` (which then owns and
// closes it). A new pty has no window size (0 x 0) and nobody on its slave side, so these tests
// write only a few bytes to it and never read from it.
//
// The real-terminal tests run a child under util-linux `script`, which gives it a pty as fds 0-2:
// test/fixtures/tty-child.mjs checks each mode with `stty` and writes/reads through the TTY, and
// this file asserts on the bytes that come out of the pty (with the terminal's own translations:
// \n -> \r\n on output in 'normal' and 'raw', none in 'io'; echo and \r -> \n on input in 'normal').
//
// libuv keeps one process-wide copy of the settings of the first terminal set away from 'normal',
// which TTY.resetMode() restores: only the first test below calls it in this process; the case of
// a closed first TTY runs in a child process.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Loop, Pipe, Timer, TTY } from '../src/ts/index.js';
import { capture, codeOrNull, errorCode, expectError, expectUVError, NO_THROW, tick } from './helpers/assert.js';
import { checkDistFresh, collect, runNode, type ChildResult } from './helpers/child.js';
import { runToEnd } from './helpers/loop.js';

// ---------------------------------------------------------------------------------------------
// helpers

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let dir = '';
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'uvkit-tty-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A new pseudo-terminal master fd ('r+' unless asked). */
const ptmx = (flags = 'r+'): number => openSync('/dev/ptmx', flags);

/** Whether `fd` is an open file descriptor. */
function isOpen(fd: number): boolean {
  return errorCode(capture(() => fstatSync(fd))) !== 'EBADF';
}

/** Handles of this process that are still alive (uvkit's own count). */
const liveHandles = (): number => binding.debugCounts().handles;

// --- child processes ---

const fixture = (name: string): string => path.join(root, 'test/fixtures', name);

/** util-linux `script`, or a clear failure (these tests need a real terminal; they are not skipped). */
function scriptCommand(): string {
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    if (d === '') continue;
    const candidate = path.join(d, 'script');
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('util-linux `script` was not found on PATH: the real-terminal TTY tests need it (Debian/Ubuntu: apt-get install bsdutils)');
}

/** Single-quotes `s` for sh. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `node <args>` on a pseudo-terminal with `script -qec`; the terminal is set to 123 columns by
 * 45 rows first. When `input` is given it is written to script's stdin (which script forwards to
 * the terminal) once the child has printed READY. Output is read as latin1 (bytes as they are).
 */
function runOnTerminal(args: string[], input?: string, timeoutMs = 20_000): Promise<ChildResult> {
  checkDistFresh();
  const script = scriptCommand();
  // Under `npm run test:asan` the sanitizer runtime is preloaded: it belongs to node, not to
  // `script` (whose own leaks LeakSanitizer would report), so only the node inside gets it.
  const preload = process.env.LD_PRELOAD;
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  const prefix = preload === undefined ? '' : `LD_PRELOAD=${shellQuote(preload)} `;
  const command = `stty cols 123 rows 45 && ${prefix}exec ${[process.execPath, ...args].map(shellQuote).join(' ')}`;
  const child = spawn(script, ['-qec', command, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let sent = false;
  return collect(child, timeoutMs, 'latin1', (stdout) => {
    if (input === undefined || sent || !stdout.includes('READY')) return;
    sent = true;
    child.stdin?.write(input);
  });
}

/** The `RESULT <json>` line a fixture prints last (a terminal ends it with \r\n), parsed. */
function resultOf(r: ChildResult): unknown {
  const at = r.stdout.indexOf('RESULT ');
  if (at < 0) return undefined;
  const end = r.stdout.indexOf('\n', at);
  return JSON.parse(r.stdout.slice(at + 'RESULT '.length, end < 0 ? undefined : end).replace(/\r$/, ''));
}

/** Everything before the RESULT line. */
const beforeResult = (r: ChildResult): string => r.stdout.slice(0, Math.max(0, r.stdout.indexOf('RESULT ')));

function outcome(r: ChildResult): { status: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderr: string } {
  return { status: r.status, signal: r.signal, timedOut: r.timedOut, stderr: r.stderr.trim().split('\n').slice(0, 8).join('\n') };
}

// ---------------------------------------------------------------------------------------------
// in this process, on a pty master

describe('TTY on a pty master (this process)', () => {
  // First in the file on purpose: see the header about TTY.resetMode().
  it("setMode('normal' | 'raw' | 'io') in any order, and TTY.resetMode() (with nothing saved, then while the raw TTY is open)", async () => {
    expect(TTY.resetMode()).toBeUndefined();
    const tty = new TTY(ptmx(), false);
    for (const mode of ['raw', 'normal', 'io', 'raw', 'raw', 'io', 'normal', 'normal'] as const) {
      expect(capture(() => tty.setMode(mode)), `setMode('${mode}')`).toBe(NO_THROW);
    }
    tty.setMode('raw');
    expect(TTY.resetMode()).toBeUndefined();
    expect(TTY.resetMode()).toBeUndefined();
    tty.setMode('normal');
    expect(tty.getWinsize()).toEqual({ width: 0, height: 0 });
    await tty.close();
  });

  it('new TTY(fd, readable) on Loop.default(): fileno() is the fd; getWinsize() of a new pty is exactly { width: 0, height: 0 }; close() closes the fd', async () => {
    const fd = ptmx();
    const tty = new TTY(fd, true);
    expect(tty).toBeInstanceOf(TTY);
    expect(tty.loop).toBe(Loop.default());
    expect(Loop.default().handles).toContain(tty);
    expect(tty.fileno()).toBe(fd);
    const size = tty.getWinsize();
    expect(size).toEqual({ width: 0, height: 0 });
    expect(Object.keys(size).sort()).toEqual(['height', 'width']);
    expect(tty.readable).toBe(true);
    expect(tty.writable).toBe(true);
    expect(tty.active).toBe(false);
    expect(tty.closed).toBe(false);
    await tty.close();
    expect(tty.closed).toBe(true);
    expect(isOpen(fd)).toBe(false);
  });

  it('readable/writable follow how the fd was opened (libuv ignores the readable argument on Unix): write-only, read-only', async () => {
    const writeOnly = new TTY(ptmx('w'), true);
    expect([writeOnly.readable, writeOnly.writable]).toEqual([false, true]);
    expectUVError(() => writeOnly.startRead(() => {}), 'ENOTCONN', 'read');
    const readOnly = new TTY(ptmx('r'), false);
    expect([readOnly.readable, readOnly.writable]).toEqual([true, false]);
    expectUVError(() => readOnly.write('x', () => {}), 'EPIPE', 'write');
    expectUVError(() => readOnly.tryWrite('x'), 'EPIPE', 'write');
    await Promise.all([writeOnly.close(), readOnly.close()]);
  });

  it('write() and tryWrite() to the pty: each write callback once with success; tryWrite() returns the byte count', async () => {
    const tty = new TTY(ptmx());
    const results: unknown[] = [];
    tty.write('hello', (err) => results.push(codeOrNull(err)));
    tty.write(['a', Buffer.from([0, 1, 2])], (err) => results.push(codeOrNull(err)));
    await tty.write(Buffer.from('via promise'));
    expect(tty.tryWrite('12345')).toBe(5);
    await tick();
    expect(results).toEqual([null, null]);
    // shutdown() on a terminal: libuv calls shutdown(2), which a tty refuses; the callback says so, once.
    const shutdowns: unknown[] = [];
    await new Promise<void>((resolve) =>
      tty.shutdown((err) => {
        shutdowns.push(codeOrNull(err));
        resolve();
      }),
    );
    await tick();
    expect(shutdowns).toEqual(['ENOTSOCK']);
    await tty.close();
  });

  it('new TTY(loop, fd) on a private loop: a write completes inside run(); close + loop.close() close the fd', () => {
    const loop = new Loop();
    const fd = ptmx();
    const tty = new TTY(loop, fd);
    expect(tty.loop).toBe(loop);
    expect(loop.handles).toEqual([tty]);
    expect(Loop.default().handles).not.toContain(tty);
    expect(tty.getWinsize()).toEqual({ width: 0, height: 0 });
    tty.setMode('raw');
    tty.setMode('normal');
    const results: unknown[] = [];
    tty.write('on a private loop', (err) => {
      results.push(codeOrNull(err));
      tty.close();
    });
    runToEnd(loop);
    expect(results).toEqual([null]);
    expect(tty.closed).toBe(true);
    expect(isOpen(fd)).toBe(false);
    loop.close();
  });

  it('an fd another open handle has is refused (EEXIST naming the fd), on its loop and on another: two owners would close it under each other and libuv would abort', async () => {
    const fd = ptmx();
    const owner = new TTY(fd, true);
    const loop = new Loop();
    const handlesBefore = liveHandles();
    for (const target of [undefined, loop]) {
      const error = expectUVError(() => new TTY(target, fd, true), 'EEXIST', 'uv_tty_init');
      expect(error.message).toContain(`fd ${fd} belongs to another open handle`);
    }
    expect(liveHandles()).toBe(handlesBefore);
    // The owner still reads and writes its fd; once it is closed the fd may be taken again.
    owner.startRead(() => {});
    await tick();
    await new Promise<void>((resolve, reject) => owner.write('still mine', (err) => (err ? reject(err) : resolve())));
    await owner.close();
    const again = new TTY(loop, ptmx());
    again.close();
    loop.close();
  });

  it('new TTY(loop, fd, readable) and new TTY(undefined, fd) forms', async () => {
    const loop = new Loop();
    const a = new TTY(loop, ptmx(), true);
    const b = new TTY(undefined, ptmx());
    expect(a.loop).toBe(loop);
    expect(b.loop).toBe(Loop.default());
    a.close();
    loop.close();
    expect(a.closed).toBe(true);
    await b.close();
  });

  it("setMode(): anything but 'normal' | 'raw' | 'io' throws ERR_INVALID_ARG_VALUE (TypeError)", async () => {
    const tty = new TTY(ptmx());
    for (const bad of ['RAW', 'Normal', '', 'tty', 0, 1, 2, null, undefined, {}, ['raw'], 'toString', '__proto__']) {
      const error = expectError(() => tty.setMode(bad as never), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(error.message).toMatch(/^The argument 'mode' must be 'normal', 'raw' or 'io'\. Received /);
    }
    // The handle still works.
    tty.setMode('normal');
    await tty.close();
  });

  it('the constructor refuses non-terminals (ERR_INVALID_ARG_VALUE "fd N is not a terminal") without side effects: regular file, FIFO, /dev/null, socket, unopened fd', async () => {
    const file = path.join(dir, `regular-${++counter}`);
    writeFileSync(file, 'data');
    const fifo = path.join(dir, `fifo-${++counter}`);
    execFileSync('mkfifo', [fifo]);
    const socketOwner = new Pipe();
    socketOwner.bind(`\0uvkit-tty-${process.pid}-${++counter}`);
    const fds = [openSync(file, 'r+'), openSync(fifo, fsConstants.O_RDWR | fsConstants.O_NONBLOCK), openSync('/dev/null', 'r+'), socketOwner.fileno()];
    const handlesBefore = liveHandles();
    const loopHandlesBefore = Loop.default().handles.length;
    try {
      for (const fd of [...fds, 999_999]) {
        for (const readable of [true, false]) {
          const error = expectError(() => new TTY(fd, readable), TypeError, 'ERR_INVALID_ARG_VALUE');
          expect(error.message).toBe(`fd ${fd} is not a terminal`);
        }
        const loop = new Loop();
        expectError(() => new TTY(loop, fd), TypeError, 'ERR_INVALID_ARG_VALUE');
        expect(loop.handles).toEqual([]);
        loop.close();
      }
      expect(liveHandles()).toBe(handlesBefore);
      expect(Loop.default().handles.length).toBe(loopHandlesBefore);
      for (const fd of fds) expect(isOpen(fd), `fd ${fd} still open`).toBe(true);
      expect(fstatSync(fds[0] as number).isFile()).toBe(true);
      expect(socketOwner.getsockname()).toMatch(/^\0uvkit-tty-/);
    } finally {
      for (const fd of fds.slice(0, 3)) closeSync(fd);
      await socketOwner.close();
    }
  });

  it('bad arguments: fd out of range (ERR_OUT_OF_RANGE), wrong types (ERR_INVALID_ARG_TYPE), a closed loop (ERR_LOOP_CLOSED); the terminal fd stays open and usable', async () => {
    const fd = ptmx();
    const handlesBefore = liveHandles();
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN, Infinity]) expectError(() => new TTY(bad), RangeError, 'ERR_OUT_OF_RANGE');
    for (const bad of ['3', null, {}, 3n, true]) expectError(() => new TTY(bad as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => new (TTY as unknown as new () => TTY)(), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const readable of ['yes', 1, null]) {
      expectError(() => new TTY(fd, readable as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectError(() => new TTY(undefined, fd, readable as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    }
    for (const loop of [{}, 'loop', Loop]) expectError(() => new TTY(loop as never, fd), TypeError, 'ERR_INVALID_ARG_TYPE');
    const closedLoop = new Loop();
    closedLoop.close();
    expectError(() => new TTY(closedLoop, fd), Error, 'ERR_LOOP_CLOSED');
    expect(liveHandles()).toBe(handlesBefore);
    expect(isOpen(fd)).toBe(true);
    const tty = new TTY(fd);
    expect(tty.fileno()).toBe(fd);
    await tty.close();
  });

  it('every method throws ERR_HANDLE_CLOSED while closing and once closed; close() twice runs both callbacks once', async () => {
    const tty = new TTY(ptmx());
    const callbacks: string[] = [];
    const cb = (): void => void callbacks.push('called');
    const other = new Pipe();
    const calls: Array<[string, () => unknown]> = [
      ['setMode', () => tty.setMode('normal')],
      ['getWinsize', () => tty.getWinsize()],
      ['write', () => tty.write('x', cb)],
      ['tryWrite', () => tty.tryWrite('x')],
      ['startRead', () => tty.startRead(cb)],
      ['stopRead', () => tty.stopRead()],
      ['shutdown', () => tty.shutdown(cb)],
      ['listen', () => tty.listen(cb)],
      ['accept', () => tty.accept(other)],
      ['setBlocking', () => tty.setBlocking(false)],
      ['fileno', () => tty.fileno()],
      ['ref', () => tty.ref()],
      ['unref', () => tty.unref()],
      ['hasRef', () => tty.hasRef()],
    ];
    const check = (): string[] => calls.filter(([, fn]) => errorCode(capture(fn)) !== 'ERR_HANDLE_CLOSED').map(([name]) => name);
    let first = 0;
    let second = 0;
    tty.close(() => first++);
    expect(tty.closing).toBe(true);
    expect(check(), 'methods not throwing ERR_HANDLE_CLOSED while closing').toEqual([]);
    await new Promise<void>((resolve) =>
      tty.close(() => {
        second++;
        resolve();
      }),
    );
    expect(tty.closed).toBe(true);
    expect(check(), 'methods not throwing ERR_HANDLE_CLOSED once closed').toEqual([]);
    expect([tty.readable, tty.writable, tty.writeQueueSize, tty.active]).toEqual([false, false, 0, false]);
    await tick();
    expect([first, second]).toEqual([1, 1]);
    expect(callbacks).toEqual([]);
    await expect(tty.close()).resolves.toBeUndefined();
    await other.close();
  });
});

// ---------------------------------------------------------------------------------------------
// on a real terminal (child processes)

describe('TTY on a real terminal (child under `script`)', () => {
  it('`script` is available', () => {
    expect(scriptCommand()).toMatch(/\/script$/);
  });

  it("new TTY(1, false): getWinsize() is the terminal's 123 x 45; raw / io / normal change the terminal as stty sees it; writes are translated per mode; resetMode() restores", async () => {
    const r = await runOnTerminal([fixture('tty-child.mjs'), 'write']);
    expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
    const result = resultOf(r) as Record<string, unknown>;
    const on = { icanon: true, echo: true, isig: true, icrnl: true, opost: true };
    expect(result).toEqual({
      modes: {
        before: on,
        raw: { icanon: false, echo: false, isig: false, icrnl: false, opost: true },
        normal: on,
        afterReset: on,
        io: { icanon: false, echo: false, isig: false, icrnl: false, opost: false },
        end: on,
      },
      isTTY: true,
      writable: true,
      winsize: { width: 123, height: 45 },
      normalRestoresSaved: true,
      resetRestoresSaved: true,
      openHandles: 0,
    });
    // The bytes the TTY wrote, as the terminal delivered them: \r\n in normal mode, \n alone in io mode.
    expect(beforeResult(r)).toBe('<normal>N1\r\nN2\r\n</normal><io>I1\nI2\n</io>');
  });

  it('new TTY(0, true) in normal mode reads the line typed (the terminal echoes it and turns \\r into \\n)', async () => {
    const r = await runOnTerminal([fixture('tty-child.mjs'), 'read'], 'hello tty\r');
    expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
    expect(resultOf(r)).toEqual({
      readable: true,
      modes: { icanon: true, echo: true, isig: true, icrnl: true, opost: true },
      how: 'line',
      data: 'hello tty\n',
      chunks: 1,
      restored: true,
      openHandles: 0,
    });
    expect(beforeResult(r)).toBe('READY\r\nhello tty\r\n');
  });

  it("new TTY(0, true) in raw mode reads the bytes as typed: no echo, \\r stays \\r; 'normal' restores the settings", async () => {
    const r = await runOnTerminal([fixture('tty-child.mjs'), 'read-raw'], 'ab\r');
    expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
    const result = resultOf(r) as { data: string; modes: unknown; how: string; restored: boolean; openHandles: number; readable: boolean };
    expect(result.data).toBe('ab\r');
    expect(result.how).toBe('line');
    expect(result.modes).toEqual({ icanon: false, echo: false, isig: false, icrnl: false, opost: true });
    expect(result.restored).toBe(true);
    expect(result.readable).toBe(true);
    expect(result.openHandles).toBe(0);
    expect(beforeResult(r)).toBe('READY\r\n');
  });


  it("a TTY set to 'raw' and dropped without close() puts the terminal back in its settings when it is collected", async () => {
    const r = await runOnTerminal(['--expose-gc', fixture('tty-child.mjs'), 'gc-raw']);
    expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
    expect(resultOf(r)).toEqual({
      raw: { icanon: false, echo: false, isig: false, icrnl: false, opost: true },
      collected: true,
      restored: true,
      openHandles: 0,
    });
  });
});

describe('TTY.resetMode(): process-wide state (child process)', () => {
  it('TTY.resetMode() after the TTY that first went raw has closed (its fd number now a regular file) does not fail, and still serves a later raw TTY', async () => {
    const file = path.join(dir, `regular-${++counter}`);
    writeFileSync(file, 'data');
    const r = await runNode([fixture('tty-reset-after-close.mjs'), file]);
    expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
    const result = resultOf(r) as { firstFd: number; fileFd: number; resetAfterClose: string; resetWithSecond: string };
    expect(result.fileFd, 'the regular file took the closed TTY fd number (the case this checks)').toBe(result.firstFd);
    expect({ resetAfterClose: result.resetAfterClose, resetWithSecond: result.resetWithSecond }).toEqual({ resetAfterClose: 'ok', resetWithSecond: 'ok' });
  });
});
