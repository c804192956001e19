// Process (API.md "Process", DESIGN.md "Lifetime" and "Errors"). Every behaviour test runs twice:
// through the posix_spawn + pidfd fast path and through uv_spawn (fastPath: false), which must be
// indistinguishable from the outside.
// - pyuv's process suite: exit 0 with exit and close callbacks once each, args and PATH lookup
//   (the child's PATH when env is given), argv0, cwd, stdout through a pipe, env replacing the
//   environment, stdin echo, kill with SIGTERM reporting signal 15, kill(0), exit statuses,
//   uid/gid as nobody (the tests run as root), a refused uid reported (EPERM, from a child run
//   as nobody), detached (own session; with unref() the loop finishes while the child runs);
// - failures: ENOENT / EACCES thrown by spawn with no handle left, a script without #! run by sh;
// - stdio: more than three entries, { fd }, { stream }, 'inherit' (child process), the child's
//   view (fds, signal mask and dispositions, fd flags) equal on both paths;
// - IPC: messages and a TCP handle exchanged with a child over an IPC pipe;
// - load: 1,000 sequential /bin/true, 200 concurrent sh -c children read to completion (no
//   zombies, same fd count, no handles), 40 children x 1 MiB byte-exact;
// - a child killed by a signal reports it; output is not lost when the child exits first;
// - lifetime: pinned while running (GC), close after exit, private loop;
// - disableStdioInheritance (child process); bad input to spawn, kill, Process.kill, the raw binding.
//
// Callbacks only record what happened; the assertions run afterwards in the test body (an
// assertion failing inside a uvkit callback would become an uncaught exception).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { constants, Loop, Pipe, Process, TCP, type ProcessOptions, type Stream } from '../src/ts/index.js';
import { expectError, expectUVError, within } from './helpers/assert.js';
import { collect, root, runNode } from './helpers/child.js';
import { until } from './helpers/loop.js';

// ---------------------------------------------------------------------------------------------
// helpers

const LINUX = process.platform === 'linux';
const PATHS = [
  ['fast path', true],
  ['uv_spawn', false],
] as const;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'uvkit-process-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  status: number;
  signal: number;
  exits: number;
  closes: number;
  stdout: string;
  stderr: string;
  pid: number;
  fastPath: boolean;
}

/** Reads a stream to EOF, then closes it; resolves with everything read. */
function readAll(pipe: Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pipe.startRead((err, data) => {
      if (err !== null) return reject(err);
      if (data !== null) return void chunks.push(Buffer.from(data));
      pipe.close(() => resolve(Buffer.concat(chunks)));
    });
  });
}

/** Runs a child with stdout and stderr captured (and `input` on stdin), to its exit and close. */
async function run(fastPath: boolean, options: Omit<ProcessOptions, 'stdio' | 'onExit' | 'fastPath'>, input?: string): Promise<Result> {
  const out = new Pipe();
  const err = new Pipe();
  const stdin = input !== undefined ? new Pipe() : undefined;
  let exits = 0;
  let status = -1;
  let signal = -1;
  let onExit!: () => void;
  const exited = new Promise<void>((resolve) => (onExit = resolve));
  const child = Process.spawn({
    ...options,
    fastPath,
    stdio: [stdin !== undefined ? { pipe: stdin } : 'ignore', { pipe: out }, { pipe: err }],
    onExit(s, g) {
      exits++;
      status = s;
      signal = g;
      onExit();
    },
  });
  const reading = Promise.all([readAll(out), readAll(err), exited]);
  if (stdin !== undefined) {
    await stdin.write(input as string);
    await stdin.shutdown();
  }
  const [stdout, stderr] = await within(reading, 20_000, 'the child runs to its end');
  if (stdin !== undefined) await stdin.close();
  let closes = 0;
  await new Promise<void>((resolve) => child.close(() => (closes++, resolve())));
  await new Promise((resolve) => setTimeout(resolve, 5)); // a second exit or close would come now
  return { status, signal, exits, closes, stdout: stdout.toString(), stderr: stderr.toString(), pid: child.pid, fastPath: child.fastPath };
}

/** Spawns with onExit recorded; resolves with (status, signal) once exited. */
function spawnWaiting(options: ProcessOptions): { child: Process; exit: Promise<[number, number]> } {
  let resolve!: (v: [number, number]) => void;
  const exit = new Promise<[number, number]>((r) => (resolve = r));
  const child = Process.spawn({ ...options, onExit: (s, g) => resolve([s, g]) });
  return { child, exit };
}

/** Children of this process that are zombies (exited, not reaped). */
function zombies(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && ppid === String(process.pid)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Open fds, counted after a turn of Node's loop: a closed Process releases its pidfd (fast path) just after its close callback. */
async function openFds(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  return readdirSync('/proc/self/fd').length;
}
const processHandles = (loop = Loop.default()): number => loop.handles.filter((h) => h instanceof Process && !h.closed).length;

/** `length` deterministic bytes that do not repeat with a short period. */
function pattern(length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = 0x12345678;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// behaviour, on both paths

describe.each(PATHS)('Process (%s)', (_, fast) => {
  const expectedFast = fast && LINUX;

  it('/bin/true: exit 0, signal 0, exit and close callbacks once each; active until the exit', async () => {
    let exits = 0;
    let activeInExit: boolean | undefined;
    let onExit!: () => void;
    const exited = new Promise<void>((resolve) => (onExit = resolve));
    const child = Process.spawn({
      file: '/bin/true',
      fastPath: fast,
      onExit() {
        exits++;
        activeInExit = this.active;
        onExit();
      },
    });
    expect(child.pid).toBeGreaterThan(0);
    expect(child.fastPath).toBe(expectedFast);
    expect(child.active).toBe(true);
    expect(child.hasRef()).toBe(true);
    await within(exited, 10_000, 'exit');
    expect(exits).toBe(1);
    expect(activeInExit).toBe(false);
    expect(child.active).toBe(false);
    let closes = 0;
    await new Promise<void>((resolve) => child.close(() => (closes++, resolve())));
    expect(closes).toBe(1);
    expect(child.closed).toBe(true);
    expect(child.pid).toBeGreaterThan(0); // still readable
  });

  it('args and PATH lookup (echo), exit status, stdout and stderr through pipes', async () => {
    const r = await run(fast, { file: 'sh', args: ['-c', 'echo "$@"; echo err >&2; exit 42', 'sh', 'a b', 'c'] });
    expect(r).toMatchObject({ status: 42, signal: 0, exits: 1, closes: 1, stdout: 'a b c\n', stderr: 'err\n', fastPath: expectedFast });
    const echo = await run(fast, { file: 'echo', args: ['one', 'two  three', ''] });
    expect(echo.stdout).toBe('one two  three \n');
  });

  it('argv0 is what the child sees as $0', async () => {
    const r = await run(fast, { file: 'sh', argv0: 'custom-name', args: ['-c', 'echo $0'] });
    expect(r.stdout).toBe('custom-name\n');
  });

  it('cwd', async () => {
    const r = await run(fast, { file: 'pwd', cwd: dir });
    expect(r.stdout.trim()).toBe(realpathSync(dir));
    const rel = await run(fast, { file: 'sh', args: ['-c', 'pwd'], cwd: '/' });
    expect(rel.stdout).toBe('/\n');
  });

  it('env replaces the whole environment', async () => {
    const r = await run(fast, { file: '/usr/bin/env', env: { A: '1', B: 'two words', EMPTY: '' } });
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['A=1', 'B=two words', 'EMPTY=']);
    const inherited = await run(fast, { file: 'sh', args: ['-c', 'echo "$UVKIT_PROBE"'] });
    expect(inherited.stdout).toBe(`${process.env.UVKIT_PROBE ?? ''}\n`);
  });

  it("the file is looked up on the child's PATH when env is given, else /bin:/usr/bin", async () => {
    const bin = path.join(dir, `bin-${fast}`);
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    const script = path.join(bin, 'uvkit-hello');
    writeFileSync(script, '#!/bin/sh\necho hello from $0\n');
    chmodSync(script, 0o755);
    const found = await run(fast, { file: 'uvkit-hello', env: { PATH: `/nonexistent:${bin}` } });
    expect(found.stdout).toBe(`hello from ${script}\n`);
    expectUVError(() => Process.spawn({ file: 'uvkit-hello', fastPath: fast }), 'ENOENT', 'spawn');
    const noPath = await run(fast, { file: 'true', env: { X: '1' } }); // /bin:/usr/bin by default
    expect(noPath.status).toBe(0);
  });

  it('a missing file throws ENOENT from spawn (with the file name) and leaves no handle', () => {
    const before = processHandles();
    const counts = binding.debugCounts();
    const error = expectUVError(() => Process.spawn({ file: 'uvkit-no-such-program', fastPath: fast }), 'ENOENT', 'spawn');
    expect(error.path).toBe('uvkit-no-such-program');
    expect(error.message).toContain("spawn 'uvkit-no-such-program'");
    expectUVError(() => Process.spawn({ file: '/nonexistent/dir/x', fastPath: fast }), 'ENOENT', 'spawn');
    expect(processHandles()).toBe(before);
    expect(binding.debugCounts().handles).toBe(counts.handles);
  });

  it('a file without execute permission gives EACCES; a script without #! runs through /bin/sh', async () => {
    const plain = path.join(dir, `plain-${fast}`);
    writeFileSync(plain, 'echo never\n');
    chmodSync(plain, 0o644);
    expectUVError(() => Process.spawn({ file: plain, fastPath: fast }), 'EACCES', 'spawn');
    const script = path.join(dir, `nohashbang-${fast}`);
    writeFileSync(script, 'echo "script $1"\n');
    chmodSync(script, 0o755);
    const r = await run(fast, { file: script, args: ['arg1'] });
    expect(r.stdout).toBe('script arg1\n');
  });

  it('stdin echo (cat): written data comes back byte for byte', async () => {
    const text = `hello ${'x'.repeat(100_000)} bye\n`;
    const r = await run(fast, { file: 'cat' }, text);
    expect(r.stdout).toBe(text);
    expect(r.status).toBe(0);
  });

  it('kill(): SIGTERM by default reports signal 15; names and numbers; kill(0) checks it is alive; ESRCH after the exit', async () => {
    const { child, exit } = spawnWaiting({ file: 'sleep', args: ['30'], fastPath: fast });
    child.kill(0);
    child.kill();
    expect(await within(exit, 10_000, 'exit')).toEqual([0, 15]);
    expectUVError(() => child.kill(0), 'ESRCH', 'kill');
    expectUVError(() => child.kill('SIGKILL'), 'ESRCH', 'kill');
    await child.close();

    const byName = spawnWaiting({ file: 'sleep', args: ['30'], fastPath: fast });
    byName.child.kill('SIGINT');
    expect(await within(byName.exit, 10_000, 'exit')).toEqual([0, constants.signals.SIGINT]);
    await byName.child.close();

    const byNumber = spawnWaiting({ file: 'sleep', args: ['30'], fastPath: fast });
    Process.kill(byNumber.child.pid, 9);
    expect(await within(byNumber.exit, 10_000, 'exit')).toEqual([0, 9]);
    await byNumber.child.close();
  });

  it('a child killed by a signal reports it (sh kills itself with SIGKILL, SIGSEGV)', async () => {
    const nine = await run(fast, { file: 'sh', args: ['-c', 'echo before; kill -9 $$; echo after'] });
    expect(nine).toMatchObject({ status: 0, signal: 9, stdout: 'before\n' });
    // Its own environment: under `npm run test:asan` an inherited LD_PRELOAD would load the
    // sanitizer runtime into sh, whose SEGV handler turns the signal into exit status 1.
    const segv = await run(fast, { file: 'sh', args: ['-c', 'kill -SEGV $$'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    expect(segv.signal).toBe(constants.signals.SIGSEGV);
  });

  it('more than three stdio entries: pipes at fd 3 and 4 (writable and readable from the child)', async () => {
    const fd3 = new Pipe();
    const fd4 = new Pipe();
    const { child, exit } = spawnWaiting({
      file: 'sh',
      args: ['-c', 'echo to-three >&3; read line <&4; echo "got $line" >&3'],
      fastPath: fast,
      stdio: ['ignore', 'ignore', 'ignore', { pipe: fd3, writable: true }, { pipe: fd4, readable: true }],
    });
    expect([fd3.readable, fd3.writable, fd4.readable, fd4.writable]).toEqual([true, false, false, true]);
    const reading = readAll(fd3);
    await fd4.write('from-four\n');
    const [out, status] = await within(Promise.all([reading, exit]), 10_000, 'child');
    expect(out.toString()).toBe('to-three\ngot from-four\n');
    expect(status).toEqual([0, 0]);
    await Promise.all([fd4.close(), child.close()]);
  });

  it('{ fd }: the child writes into the parent fd (a file)', async () => {
    const file = path.join(dir, `fd-${fast}.txt`);
    const fd = openSync(file, 'w');
    try {
      const { child, exit } = spawnWaiting({ file: 'sh', args: ['-c', 'echo into-the-file; echo three >&3'], fastPath: fast, stdio: ['ignore', { fd }, 'ignore', { fd }] });
      expect(await within(exit, 10_000, 'exit')).toEqual([0, 0]);
      await child.close();
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('into-the-file\nthree\n');
  });

  it('{ stream }: the child writes into a connected TCP socket given as fd 3', async () => {
    const server = new TCP();
    server.bind({ address: '127.0.0.1', port: 0 });
    const port = server.getsockname().port;
    let accepted!: (peer: TCP) => void;
    const peerReady = new Promise<TCP>((resolve) => (accepted = resolve));
    server.listen(() => {
      const peer = new TCP();
      server.accept(peer);
      accepted(peer);
    });
    const client = new TCP();
    await client.connect({ address: '127.0.0.1', port });
    const peer = await peerReady;
    const { child, exit } = spawnWaiting({ file: 'sh', args: ['-c', 'echo via-stream >&3'], fastPath: fast, stdio: ['ignore', 'ignore', 'ignore', { stream: client }] });
    expect(await within(exit, 10_000, 'exit')).toEqual([0, 0]);
    await client.close(); // the child's copy is gone too: the peer reads to EOF
    const got = await within(readAll(peer), 10_000, 'peer EOF');
    expect(got.toString()).toBe('via-stream\n');
    await Promise.all([server.close(), child.close()]);
  });

  it('output is not lost when the child exits before its stdout is read', async () => {
    const out = new Pipe();
    const expected = pattern(100_000).toString('hex'); // 200,000 bytes: more than fits unread in the socket
    const payload = path.join(dir, `payload-${fast}`);
    writeFileSync(payload, expected.slice(0, 60_000));
    // 60,000 bytes fit in the socket buffer: the child exits before anything is read.
    const { child, exit } = spawnWaiting({ file: 'cat', args: [payload], fastPath: fast, stdio: ['ignore', { pipe: out }] });
    expect(await within(exit, 10_000, 'exit')).toEqual([0, 0]);
    const got = await within(readAll(out), 10_000, 'read to EOF');
    expect(got.toString()).toBe(expected.slice(0, 60_000));
    await child.close();

    // Larger: the exit arrives while reading is under way; every byte still arrives.
    writeFileSync(payload, expected);
    const big = new Pipe();
    const events: string[] = [];
    const bigChild = Process.spawn({ file: 'cat', args: [payload], fastPath: fast, stdio: ['ignore', { pipe: big }], onExit: () => events.push('exit') });
    const reading = readAll(big).then((b) => (events.push('eof'), b));
    const bigGot = await within(reading, 10_000, 'read to EOF');
    expect(bigGot.toString()).toBe(expected);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.sort()).toEqual(['eof', 'exit']);
    await bigChild.close();
  });

  it('detached: the child leads its own session; with unref() a private loop finishes while it runs', async () => {
    const sid = (r: Result): string => r.stdout.trim();
    const attached = await run(fast, { file: 'sh', args: ['-c', 'cut -d" " -f6 /proc/$$/stat'] });
    const detached = await run(fast, { file: 'sh', args: ['-c', 'cut -d" " -f6 /proc/$$/stat'], detached: true });
    expect(sid(detached)).toBe(String(detached.pid));
    expect(sid(attached)).not.toBe(String(attached.pid));

    const loop = new Loop();
    let exits = 0;
    const child = Process.spawn(loop, { file: 'sleep', args: ['30'], detached: true, fastPath: fast, onExit: () => exits++ });
    child.unref();
    const started = Date.now();
    expect(loop.run()).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    Process.kill(child.pid, 0); // still running
    expect(exits).toBe(0);
    child.ref();
    child.kill('SIGKILL');
    loop.run();
    expect(exits).toBe(1);
    child.close();
    loop.run();
  });

  it('on a private loop: spawn, run() until the exit, close', () => {
    const loop = new Loop();
    const out = new Pipe(loop);
    const chunks: Buffer[] = [];
    const seen: Array<[number, number]> = [];
    const child = Process.spawn(loop, { file: 'echo', args: ['private'], fastPath: fast, stdio: ['ignore', { pipe: out }], onExit: (s, g) => seen.push([s, g]) });
    out.startRead((err, data) => {
      if (data !== null) chunks.push(Buffer.from(data));
      else out.close();
    });
    loop.run();
    expect(seen).toEqual([[0, 0]]);
    expect(Buffer.concat(chunks).toString()).toBe('private\n');
    child.close();
    loop.run();
    expect(child.closed).toBe(true);
  });

  it('a running child stays pinned: its wrapper survives GC and onExit still comes', async () => {
    let exited = 0;
    (() => {
      Process.spawn({ file: 'sh', args: ['-c', 'sleep 0.2'], fastPath: fast, onExit: () => exited++ });
    })();
    for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
    const started = Date.now();
    while (exited === 0 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exited).toBe(1);
    for (const h of Loop.default().handles) if (h instanceof Process) await h.close();
  });

  it('closed before it exits: no onExit, and the child is still reaped (no zombie), whether it exits later or had exited already', async () => {
    const exits: unknown[] = [];
    const running = Process.spawn({ file: 'sleep', args: ['0.2'], fastPath: fast, onExit: (s, g) => exits.push([s, g]) });
    const runningPid = running.pid;
    await running.close();
    // Exited but not reported: spawned on a private loop that never ran.
    const loop = new Loop();
    const done = Process.spawn(loop, { file: '/bin/true', fastPath: fast, onExit: (s, g) => exits.push([s, g]) });
    const donePid = done.pid;
    await until(() => zombies().includes(donePid), 'the unreported child to exit');
    const closed = done.close();
    expect(zombies()).not.toContain(donePid); // reaped as the close started
    loop.run();
    await closed;
    loop.close();
    await until(() => !existsSync(`/proc/${runningPid}`), 'the running child to exit and be reaped');
    expect(zombies()).toEqual([]);
    expect(exits).toEqual([]);
  });

  it('fileno() is EBADF; after close every method throws ERR_HANDLE_CLOSED', async () => {
    const { child, exit } = spawnWaiting({ file: '/bin/true', fastPath: fast });
    expectUVError(() => child.fileno(), 'EBADF');
    await exit;
    await child.close();
    expectError(() => child.kill(0), Error, 'ERR_HANDLE_CLOSED');
    expectError(() => child.fileno(), Error, 'ERR_HANDLE_CLOSED');
    expectError(() => child.ref(), Error, 'ERR_HANDLE_CLOSED');
    await child.close(); // idempotent
  });
});

// ---------------------------------------------------------------------------------------------
// the two paths side by side

describe('fast path and uv_spawn give the child the same world', () => {
  it('fds, signal mask and ignored signals, stdio fd flags', async () => {
    // What the child sees of itself, read by the exec'd program itself (a shell in between would
    // show its own mask: dash blocks every signal while it waits for a child).
    const probes: Array<[string, string[]]> = [
      ['grep', ['-E', '^(SigBlk|SigIgn|SigCgt)', '/proc/self/status']],
      ['ls', ['/proc/self/fd']],
      ['grep', ['-h', 'flags', '/proc/self/fdinfo/0', '/proc/self/fdinfo/1', '/proc/self/fdinfo/2', '/proc/self/fdinfo/3']],
    ];
    const results: string[] = [];
    for (const fast of [true, false]) {
      let text = '';
      for (const [file, args] of probes) {
        const fd3 = new Pipe();
        const out = new Pipe();
        const { child, exit } = spawnWaiting({ file, args, fastPath: fast, stdio: ['ignore', { pipe: out }, 'ignore', { pipe: fd3 }] });
        const [bytes] = await within(Promise.all([readAll(out), exit]), 10_000, 'probe');
        await Promise.all([fd3.close(), child.close()]);
        text += bytes.toString();
      }
      results.push(text);
    }
    expect(results[0]).toMatch(/SigBlk:\s+0+\n/);
    expect(results[0]).toMatch(/SigIgn:\s+0+\n/);
    expect(results[0]).toBe(results[1]);
  });

  it("both kinds at once: libuv's SIGCHLD reaping and the pidfd watchers never take each other's children", async () => {
    // libuv waits only for the pids it spawned; the fast path reaps its own. 60 children of each
    // kind, interleaved, each exiting with its own status: every exit is reported once, correctly.
    const seen = new Map<number, number[]>();
    const runs: Array<Promise<void>> = [];
    for (let i = 0; i < 120; i++) {
      const fastPath = i % 2 === 0;
      const { child, exit } = spawnWaiting({ file: 'sh', args: ['-c', `sleep 0.0${i % 10}; exit ${i}`], fastPath });
      runs.push(
        exit.then(async ([status, signal]) => {
          seen.set(i, [...(seen.get(i) ?? []), status, signal]);
          await child.close();
        }),
      );
    }
    await within(Promise.all(runs), 30_000, '120 children');
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 120; i++) expect(seen.get(i), `child ${i}`).toEqual([i, 0]);
    expect(zombies()).toEqual([]);
  });

  it('readable/writable of created pipes match for every combination', async () => {
    const seen: string[][] = [];
    for (const fast of [true, false]) {
      const pipes = [new Pipe(), new Pipe(), new Pipe(), new Pipe(), new Pipe()];
      const { child, exit } = spawnWaiting({
        file: '/bin/true',
        fastPath: fast,
        stdio: [{ pipe: pipes[0] as Pipe }, { pipe: pipes[1] as Pipe }, { pipe: pipes[2] as Pipe, readable: true, writable: true }, { pipe: pipes[3] as Pipe, readable: false, writable: false }, { pipe: pipes[4] as Pipe }],
      });
      seen.push(pipes.map((p) => `${p.readable}/${p.writable}`));
      await exit;
      await Promise.all([...pipes.map((p) => p.close()), child.close()]);
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toEqual(['false/true', 'true/false', 'true/true', 'false/false', 'true/true']);
  });
});

// ---------------------------------------------------------------------------------------------
// IPC

describe.each(PATHS)('IPC with a child (%s)', (_, fast) => {
  it('messages both ways and a TCP handle sent to the child, which answers over it', async () => {
    const channel = new Pipe(undefined, { ipc: true });
    const errPipe = new Pipe();
    const { child, exit } = spawnWaiting({
      file: process.execPath,
      args: [path.join(root, 'test/fixtures/process-ipc-child.mjs')],
      cwd: root,
      fastPath: fast,
      stdio: ['ignore', 'ignore', { pipe: errPipe }, { pipe: channel }],
    });
    const stderr = readAll(errPipe);
    // A connected TCP pair: the server's end goes to the child.
    const server = new TCP();
    server.bind({ address: '127.0.0.1', port: 0 });
    let accepted!: (peer: TCP) => void;
    const peerReady = new Promise<TCP>((resolve) => (accepted = resolve));
    server.listen(() => {
      const peer = new TCP();
      server.accept(peer);
      accepted(peer);
    });
    const client = new TCP();
    await client.connect({ address: '127.0.0.1', port: server.getsockname().port });
    const peer = await peerReady;

    const lines: string[] = [];
    let buffered = '';
    channel.startRead((err, data) => {
      if (err !== null || data === null) return;
      buffered += data.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    await channel.write('hello one\nhello two\n');
    await new Promise<void>((resolve, reject) => channel.write('tcp\n', (e) => (e ? reject(e) : resolve()), peer));
    await peer.close(); // our copy; the child has its own
    const overTcp = await within(readAll(client), 10_000, 'the child writes over the TCP handle');
    const started = Date.now();
    while (lines.length < 3 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
    await channel.shutdown(); // the child ends at EOF
    const status = await within(exit, 10_000, 'child exit');
    expect((await stderr).toString()).toBe('');
    expect(status).toEqual([0, 0]);
    expect(lines).toEqual(['echo one', 'echo two', `got-tcp ${constants.handleType.TCP}`]);
    expect(overTcp.toString()).toBe(`child ${child.pid} over tcp\n`);
    await Promise.all([channel.close(), server.close(), child.close()]);
  });
});

// ---------------------------------------------------------------------------------------------
// load

describe.each(PATHS)('load (%s)', (_, fast) => {
  it('1,000 sequential /bin/true: all exit 0, no zombies, same fd count, no handles', async () => {
    const fds = await openFds();
    let ok = 0;
    for (let i = 0; i < 1000; i++) {
      const { child, exit } = spawnWaiting({ file: '/bin/true', fastPath: fast });
      const [status, signal] = await exit;
      if (status === 0 && signal === 0) ok++;
      await child.close();
    }
    expect(ok).toBe(1000);
    expect(zombies()).toEqual([]);
    expect(await openFds()).toBe(fds);
    expect(processHandles()).toBe(0);
  });

  it('200 concurrent sh -c children, stdout read to completion', async () => {
    const fds = await openFds();
    const runs: Array<Promise<Result>> = [];
    for (let i = 0; i < 200; i++) runs.push(run(fast, { file: 'sh', args: ['-c', 'echo $0 $1', `child${i}`, 'done'] }));
    const results = await within(Promise.all(runs), 50_000, '200 children');
    results.forEach((r, i) => expect(r).toMatchObject({ status: 0, signal: 0, exits: 1, stdout: `child${i} done\n` }));
    expect(zombies()).toEqual([]);
    expect(await openFds()).toBe(fds);
    expect(processHandles()).toBe(0);
  });

  it('40 children each writing 1 MiB to stdout, received byte-exact', async () => {
    const data = pattern(1 << 20);
    const file = path.join(dir, `mib-${fast}`);
    writeFileSync(file, data);
    const runs = Array.from({ length: 40 }, async () => {
      const out = new Pipe();
      const { child, exit } = spawnWaiting({ file: 'cat', args: [file], fastPath: fast, stdio: ['ignore', { pipe: out }] });
      const [bytes, status] = await Promise.all([readAll(out), exit]);
      await child.close();
      return { equal: bytes.equals(data), length: bytes.length, status };
    });
    const results = await within(Promise.all(runs), 50_000, '40 children');
    for (const r of results) expect(r).toEqual({ equal: true, length: 1 << 20, status: [0, 0] });
    expect(zombies()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// uid / gid (always uv_spawn: posix_spawn cannot change credentials)

describe('uid and gid', () => {
  const isRoot = process.getuid?.() === 0;

  it.skipIf(!isRoot)('as root: the child runs as nobody (uid and gid 65534), through uv_spawn', async () => {
    const r = await run(true, { file: 'sh', args: ['-c', 'id -u; id -g; id -G'], uid: 65534, gid: 65534 });
    expect(r.fastPath).toBe(false);
    expect(r.stdout).toBe('65534\n65534\n65534\n'); // supplementary groups dropped too
  });

  // The child runs as nobody and loads uvkit from this checkout: every directory on the way must be
  // searchable by others (a checkout under a 0700 directory, as mktemp -d makes, is not).
  const reachableByNobody = path
    .join(root, 'dist')
    .split(path.sep)
    .map((_, i, parts) => parts.slice(0, i + 1).join(path.sep) || path.sep)
    .every((dir) => (statSync(dir).mode & 0o001) !== 0);
  it.skipIf(!isRoot || !reachableByNobody)('a uid the parent may not take is reported: EPERM (from a parent running as nobody; skipped where nobody cannot reach the checkout)', async () => {
    const script = `import('${path.join(root, 'dist/index.js')}').then(({ Process }) => {
      try { Process.spawn({ file: '/bin/true', uid: 0 }); console.log('spawned'); } catch (e) { console.log(e.code, e.syscall); }
    });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: '/', uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child, 20_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('EPERM spawn\n');
  });
});

// ---------------------------------------------------------------------------------------------
// process-wide calls, in child processes

describe('in a child process', () => {
  it("'inherit' gives the child the parent's own stdout", async () => {
    const script = `import { Process } from './dist/index.js';
      for (const fastPath of [true, false]) Process.spawn({ file: 'echo', args: ['inherited', String(fastPath)], fastPath, stdio: ['ignore', 'inherit', 'inherit'], onExit() { this.close(); } });`;
    const r = await runNode(['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['inherited false', 'inherited true']);
  });

  it('disableStdioInheritance(): fds 0-2 become close-on-exec; children still get them through stdio', async () => {
    // Node itself calls uv_disable_stdio_inheritance() at startup, so the fd 5 this child inherits
    // is already close-on-exec; after the call so are fds 0-2 (it is idempotent), and 'inherit'
    // still hands stdout to a child (dup2 in the child clears the flag on its copy).
    const script = `import { readFileSync } from 'node:fs';
      import { Process } from './dist/index.js';
      const cloexec = (fd) => (parseInt(/flags:\\s*(\\d+)/.exec(readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8) & 0o2000000) !== 0;
      const inherited = cloexec(5);
      Process.disableStdioInheritance();
      const std = [0, 1, 2].map(cloexec);
      console.log(JSON.stringify({ inherited, std }));
      for (const fastPath of [true, false]) Process.spawn({ file: 'echo', args: ['still inherited', String(fastPath)], fastPath, stdio: ['ignore', 'inherit'], onExit() { this.close(); } });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'pipe'] });
    const r = await collect(child, 20_000);
    expect(r.stderr).toBe('');
    const [first, ...rest] = r.stdout.split('\n').filter(Boolean);
    expect(JSON.parse(first as string)).toEqual({ inherited: true, std: [true, true, true] });
    expect(rest.sort()).toEqual(['still inherited false', 'still inherited true']);
  });
});

// ---------------------------------------------------------------------------------------------
// bad input

describe('bad input', () => {
  const marker = (): string => path.join(dir, 'spawned-marker');
  // Valid except for what each case changes: if any of them spawned, the marker would exist.
  const base = (): ProcessOptions => ({ file: 'touch', args: [marker()] });
  const typeError = (fn: () => unknown): Error => expectError(fn, TypeError, 'ERR_INVALID_ARG_TYPE');
  const valueError = (fn: () => unknown): Error => expectError(fn, TypeError, 'ERR_INVALID_ARG_VALUE');
  const rangeError = (fn: () => unknown): Error => expectError(fn, RangeError, 'ERR_OUT_OF_RANGE');
  const spawnWith = (patch: Record<string, unknown>) => () => Process.spawn({ ...base(), ...patch } as ProcessOptions);

  it('spawn(): options, file, args, argv0, env, cwd, uid/gid, flags, onExit; nothing is spawned', () => {
    typeError(() => Process.spawn(undefined as unknown as ProcessOptions));
    typeError(() => Process.spawn(null as unknown as ProcessOptions));
    typeError(() => Process.spawn('touch' as unknown as ProcessOptions));
    expect(typeError(() => Process.spawn({} as unknown as Loop, base())).message).toContain('"loop"');
    for (const file of [undefined, 1, null, ['touch']]) typeError(spawnWith({ file }));
    valueError(spawnWith({ file: '' }));
    valueError(spawnWith({ file: 'tou\0ch' }));
    for (const args of ['x', null, 1, {}]) typeError(spawnWith({ args }));
    typeError(spawnWith({ args: [marker(), 1] }));
    typeError(spawnWith({ args: [marker(), undefined] }));
    // eslint-disable-next-line no-sparse-arrays
    typeError(spawnWith({ args: [marker(), , 'x'] }));
    valueError(spawnWith({ args: [marker(), 'a\0b'] }));
    valueError(spawnWith({ argv0: 'a\0b' }));
    typeError(spawnWith({ argv0: 5 }));
    for (const env of ['A=1', null, ['A=1'], 5]) typeError(spawnWith({ env }));
    typeError(spawnWith({ env: { A: 1 } }));
    typeError(spawnWith({ env: { A: undefined } }));
    valueError(spawnWith({ env: { 'A=B': 'x' } }));
    valueError(spawnWith({ env: { '': 'x' } }));
    valueError(spawnWith({ env: { 'A\0': 'x' } }));
    valueError(spawnWith({ env: { A: 'x\0y' } }));
    typeError(spawnWith({ cwd: 5 }));
    valueError(spawnWith({ cwd: '/tmp\0x' }));
    for (const id of [-1, 3.1, 2 ** 32, NaN, Infinity]) {
      rangeError(spawnWith({ uid: id }));
      rangeError(spawnWith({ gid: id }));
    }
    typeError(spawnWith({ uid: '0' }));
    for (const key of ['detached', 'windowsHide', 'windowsVerbatimArguments', 'fastPath']) typeError(spawnWith({ [key]: 1 }));
    typeError(spawnWith({ onExit: 'f' }));
    expect(existsSync(marker())).toBe(false);
  });

  it('spawn(): stdio entries', async () => {
    const loop = new Loop();
    const otherLoopPipe = new Pipe(loop);
    const closed = new Pipe();
    await closed.close();
    const pipe = new Pipe();
    const open = new Pipe();
    const [a, b] = [new Pipe(), new Pipe()];
    // An open pipe: one end of a socketpair-like connection from a listening Pipe.
    const name = `\0uvkit-process-${process.pid}`;
    const server = new Pipe();
    server.bind(name);
    server.listen(() => {});
    await open.connect(name);
    const tcpUnbound = new TCP();
    typeError(spawnWith({ stdio: 'pipe' }));
    for (const entry of ['foo', 600, null, [], 'pipe', 'ipc']) valueError(spawnWith({ stdio: ['ignore', entry] }));
    valueError(spawnWith({ stdio: [{}] }));
    valueError(spawnWith({ stdio: [{ pipe, fd: 1 }] }));
    valueError(spawnWith({ stdio: [{ fd: 1, stream: open }] }));
    valueError(spawnWith({ stdio: [{ fd: 1, readable: true }] }));
    valueError(spawnWith({ stdio: [{ stream: open, writable: true }] }));
    rangeError(spawnWith({ stdio: [{ fd: -1 }] }));
    rangeError(spawnWith({ stdio: [{ fd: 1.5 }] }));
    typeError(spawnWith({ stdio: [{ fd: '1' }] }));
    typeError(spawnWith({ stdio: [{ pipe: tcpUnbound }] }));
    typeError(spawnWith({ stdio: [{ pipe: 'x' }] }));
    typeError(spawnWith({ stdio: [{ stream: 'x' }] }));
    typeError(spawnWith({ stdio: [{ pipe, readable: 1 }] }));
    valueError(spawnWith({ stdio: [{ pipe: closed }] }));
    valueError(spawnWith({ stdio: [{ stream: closed }] }));
    valueError(spawnWith({ stdio: [{ pipe: open }] })); // already open
    valueError(spawnWith({ stdio: [{ pipe: otherLoopPipe }] }));
    valueError(spawnWith({ stdio: [{ pipe }, { pipe }] }));
    valueError(spawnWith({ stdio: [{ stream: tcpUnbound }] })); // no fd yet (native check)
    expectUVError(spawnWith({ stdio: ['ignore', 'ignore', 'ignore', { fd: 1_000_000 }] }), 'EBADF', 'spawn');
    expect(existsSync(marker())).toBe(false);
    expect(processHandles()).toBe(0);
    // The pipes given to the failed spawns are still usable for a good one.
    const good = spawnWaiting({ file: '/bin/true', stdio: [{ pipe: a }, { pipe: b }] });
    expect(await good.exit).toEqual([0, 0]);
    await Promise.all([good.child.close(), a.close(), b.close(), pipe.close(), open.close(), server.close(), tcpUnbound.close()]);
    loop.close(); // closes otherLoopPipe
  });

  it('kill(), Process.kill(), the constructor', async () => {
    const { child, exit } = spawnWaiting({ file: 'sleep', args: ['30'] });
    expectError(() => child.kill('SIGFOO' as NodeJS.Signals), TypeError, 'ERR_UNKNOWN_SIGNAL');
    for (const signal of [-1, 4096, 1.5, NaN]) rangeError(() => child.kill(signal));
    for (const signal of [null, {}, true]) typeError(() => child.kill(signal as unknown as number));
    for (const pid of ['1', null, undefined]) typeError(() => Process.kill(pid as unknown as number, 0));
    for (const pid of [NaN, Infinity, 1.5, 2 ** 31]) rangeError(() => Process.kill(pid, 0));
    expectError(() => Process.kill(child.pid, 'SIGFOO' as NodeJS.Signals), TypeError, 'ERR_UNKNOWN_SIGNAL');
    rangeError(() => Process.kill(child.pid, 4096));
    expectUVError(() => Process.kill(2 ** 31 - 1, 0), 'ESRCH', 'kill');
    child.kill('SIGKILL');
    expect(await exit).toEqual([0, 9]);
    await child.close();
    expectError(() => new (Process as unknown as new () => Process)(), TypeError, 'ERR_ILLEGAL_CONSTRUCTOR');
  });

  it('the raw binding re-checks everything and never aborts', () => {
    const loop = Loop.default();
    const raw = binding.Process as unknown as new (...args: unknown[]) => unknown;
    const good = ['touch', ['touch', marker()], undefined, undefined, [], [], -1, -1, 0, true];
    const withArg = (i: number, value: unknown): unknown[] => [loop, ...good.slice(0, i), value, ...good.slice(i + 1)];
    const coded = (args: unknown[]): unknown => {
      try {
        new raw(...args);
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
      return 'no throw';
    };
    expect(coded([])).toBe('ERR_INVALID_ARG_TYPE');
    expect(coded([loop])).toBe('ERR_INVALID_ARG_TYPE');
    expect(coded(withArg(0, ''))).toBe('ERR_INVALID_ARG_VALUE');
    expect(coded(withArg(1, []))).toBe('ERR_INVALID_ARG_VALUE'); // no argv[0]
    expect(coded(withArg(1, ['a', 5]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(coded(withArg(2, ['NOEQUALS']))).toBe('ERR_INVALID_ARG_VALUE');
    expect(coded(withArg(2, ['=x']))).toBe('ERR_INVALID_ARG_VALUE');
    expect(coded(withArg(3, 7))).toBe('ERR_INVALID_ARG_TYPE');
    for (const flags of [[8], [0x10], [2 | 4], [1 | 0x40], [-1], [1.5], ['1']]) {
      expect(coded([loop, ...good.slice(0, 4), flags, [undefined], ...good.slice(6)])).toMatch(/^ERR_INVALID_ARG_(VALUE|TYPE)$/);
    }
    expect(coded([loop, ...good.slice(0, 4), [0], [], ...good.slice(6)])).toBe('ERR_INVALID_ARG_VALUE'); // lengths differ
    expect(coded([loop, ...good.slice(0, 4), [0], [1], ...good.slice(6)])).toBe('ERR_INVALID_ARG_VALUE'); // ignore with a target
    expect(coded([loop, ...good.slice(0, 4), [1], [{}], ...good.slice(6)])).toBe('ERR_INVALID_ARG_TYPE'); // not a Pipe
    expect(coded([loop, ...good.slice(0, 4), [2], [-1], ...good.slice(6)])).toBe('ERR_OUT_OF_RANGE');
    expect(coded(withArg(6, -2))).toBe('ERR_OUT_OF_RANGE');
    expect(coded(withArg(8, 1))).toBe('ERR_INVALID_ARG_VALUE'); // UV_PROCESS_SETUID is set from uid only
    expect(coded(withArg(8, 1 << 5))).toBe('ERR_OUT_OF_RANGE');
    expect(coded(withArg(9, 'yes'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(existsSync(marker())).toBe(false);
    expect(processHandles()).toBe(0);
  });
});
