// Pipe streams (API.md "Streams", DESIGN.md "Lifetime" and "Errors"): Unix domain sockets bound to
// a path in a temp directory or to a Linux abstract name ('\0uvkit-...'), FIFOs by fd, IPC pipes.
// - data: echo, names (getsockname()/getpeername()), shutdown/EOF, NUL bytes, vectored writes, a
//   4 MiB write, reader();
// - errors: connect to a missing path / an unbound abstract name, bind to an existing path, calls
//   in the wrong state, a path name with a NUL inside;
// - open(fd): FIFOs (one fd both ways, and a reader/writer pair), regular files and /dev/null
//   refused (also in a child process, which must not abort), bad fds;
// - chmod() on the socket file, pendingInstances();
// - IPC: TCP and Pipe handles passed in this process and to a child process and back; sendHandle
//   and accept() argument checks; a sendHandle closed or collected while its write is queued
//   (child process);
// - lifetime: every connect/write/shutdown callback fires exactly once (ECANCELED when the handle
//   closed first, before the close callback), 1024 queued writes cancelled by close(), close in
//   callbacks, close twice, GC of a reading pipe, every method after close throws ERR_HANDLE_CLOSED;
// - bad input to the constructor and every Pipe method;
// - a subset again on a private loop driven by loop.run().
//
// Callbacks only record what happened; the assertions run afterwards in the test body (an
// assertion failing inside a uvkit callback would become an uncaught exception).
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Check, constants, errors, Loop, Pipe, TCP, Timer, TTY, UDP, UVError, type Stream } from '../src/ts/index.js';
import { capture, codeOrNull, errorCode, expectBytes, expectError, expectUVError, tick, within } from './helpers/assert.js';
import { checkDistFresh, resultOf, runNode, type ChildResult } from './helpers/child.js';
import { runToEnd, runUntil } from './helpers/loop.js';

// ---------------------------------------------------------------------------------------------
// helpers

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HT = constants.handleType;

let dir = '';
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'uvkit-pipe-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh socket path in this file's temp directory. */
const socketPath = (): string => path.join(dir, `s${++counter}.sock`);
/** A fresh Linux abstract socket name. */
const abstractName = (): string => `\0uvkit-pipe-${process.pid}-${++counter}`;

const expectClosed = (fn: () => unknown): Error => expectError(fn, Error, 'ERR_HANDLE_CLOSED');

/** Waits (turning Node's loop) until `done()` holds; fails after `ms`. */
async function eventually(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > ms) throw new Error(`${what}: not done after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `length` deterministic pseudo-random bytes. */
function pattern(length: number, seed = 0): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = (Math.imul(seed + 1, 2_654_435_761) ^ 0x5bd1e995) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface Pair {
  server: Pipe;
  client: Pipe;
  peer: Pipe;
  name: string;
  /** Peers the server accepted after the first (closed with the pair). */
  extras: Pipe[];
}

/** A plain Pipe bound to `name` and listening; each connection is accepted into a new Pipe (IPC when asked). */
function listenOn(loop: Loop | undefined, name: string, onPeer: (peer: Pipe) => void, ipc = false): Pipe {
  const server = new Pipe(loop);
  server.bind(name);
  server.listen((err) => {
    if (err !== null) throw err;
    const peer = new Pipe(loop, { ipc });
    server.accept(peer);
    onPeer(peer);
  });
  return server;
}

/** On Loop.default(): a listening server, a connected client and the accepted peer. */
async function connectPair(name: string, ipc = false): Promise<Pair> {
  let onPeer!: (peer: Pipe) => void;
  const accepted = new Promise<Pipe>((resolve) => (onPeer = resolve));
  const extras: Pipe[] = [];
  let first = true;
  const server = listenOn(undefined, name, (p) => {
    if (first) onPeer(p);
    else extras.push(p);
    first = false;
  }, ipc);
  const client = new Pipe(undefined, { ipc });
  await within(client.connect(name), 10_000, 'connect');
  const peer = await within(accepted, 10_000, 'accept');
  return { server, client, peer, name, extras };
}

/** Closes the handles and waits for their close callbacks. */
async function closeAll(...handles: Array<{ close(): Promise<void> }>): Promise<void> {
  await Promise.all(handles.map((h) => h.close()));
}

const closePair = (pair: Pair): Promise<void> => closeAll(pair.client, pair.peer, pair.server, ...pair.extras);

/** Runs `body` with a fresh pair and closes it afterwards, even when the body fails. */
async function withPair(name: string, body: (pair: Pair) => Promise<void>, ipc = false): Promise<void> {
  const pair = await connectPair(name, ipc);
  try {
    await body(pair);
  } finally {
    await closePair(pair);
  }
}

/** Reads until EOF and resolves with every byte; rejects with a read error. */
function readToEnd(stream: Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.startRead((err, data) => {
      if (err !== null) reject(err);
      else if (data === null) resolve(Buffer.concat(chunks));
      else chunks.push(Buffer.from(data));
    });
  });
}

/** Resolves with the first chunk read (copied). */
function readOnce(stream: Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    stream.startRead((err, data) => {
      stream.stopRead();
      if (data !== null) resolve(Buffer.from(data));
      else reject(err ?? new Error('EOF before any data'));
    });
  });
}

/** Fills the kernel buffers of `stream` (its peer not reading) with tryWrite(); returns the bytes written. */
function fill(stream: Stream): number {
  const chunk = Buffer.alloc(64 * 1024, 0x66);
  let total = 0;
  for (let n = stream.tryWrite(chunk); n > 0; n = stream.tryWrite(chunk)) total += n;
  return total;
}

/** On a private loop: a listening server, a connected client and the accepted peer. */
function pairOn(loop: Loop, name: string, ipc = false): Pair {
  let peer: Pipe | undefined;
  let connectResult: unknown = 'pending';
  const server = listenOn(loop, name, (p) => (peer = p), ipc);
  const client = new Pipe(loop, { ipc });
  client.connect(name, (err) => (connectResult = err));
  runUntil(loop, () => peer !== undefined && connectResult !== 'pending', 'connect + accept');
  expect(connectResult).toBeNull();
  return { server, client, peer: peer as Pipe, name, extras: [] };
}

// --- child processes ---

const fixture = (name: string): string => path.join(root, 'test/fixtures', name);

/** What a test asserts about a child, in one object (a failure shows all of it). */
function outcome(r: ChildResult): { status: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderr: string } {
  return { status: r.status, signal: r.signal, timedOut: r.timedOut, stderr: r.stderr.trim().split('\n').slice(0, 8).join('\n') };
}

// ---------------------------------------------------------------------------------------------
// data and names on Node's loop

describe('Pipe on Loop.default(): data and names', () => {
  it('echo over a path-bound pipe: PING -> PONG; getsockname()/getpeername() of server, client and peer', async () => {
    const name = socketPath();
    await withPair(name, async ({ server, client, peer }) => {
      expect(statSync(name).isSocket()).toBe(true);
      const serverGot: string[] = [];
      peer.startRead((err, data) => {
        if (err !== null || data === null) return;
        serverGot.push(data.toString('latin1'));
        if (data.toString('latin1') === 'PING') peer.write('PONG', () => {});
      });
      const reply = readOnce(client);
      await client.write('PING');
      expect((await within(reply, 10_000, 'reply')).toString('latin1')).toBe('PONG');
      expect(serverGot).toEqual(['PING']);
      expect(server.getsockname()).toBe(name);
      expect(peer.getsockname()).toBe(name);
      expect(client.getpeername()).toBe(name);
      // The client never bound: its own name and the peer's view of it are empty.
      expect(client.getsockname()).toBe('');
      expect(peer.getpeername()).toBe('');
      expect(client.readable && client.writable && peer.readable && peer.writable).toBe(true);
      expect(client.ipc).toBe(false);
    });
    // Closing the bound server removes its socket file.
    expect(() => statSync(name)).toThrow(/ENOENT/);
  });

  it("echo over an abstract name: names come back as '\\0name' (no NUL padding), and no file is made", async () => {
    const name = abstractName();
    const before = readdirSync(dir).length;
    await withPair(name, async ({ server, client, peer }) => {
      peer.startRead((err, data) => {
        if (err === null && data !== null) peer.write(Buffer.concat([Buffer.from('echo:'), data]), () => {});
      });
      const reply = readOnce(client);
      await client.write('abstract');
      expect((await within(reply, 10_000, 'reply')).toString('latin1')).toBe('echo:abstract');
      expect(server.getsockname()).toBe(name);
      expect(server.getsockname().length).toBe(name.length);
      expect(server.getsockname().charCodeAt(0)).toBe(0);
      expect(peer.getsockname()).toBe(name);
      expect(client.getpeername()).toBe(name);
      expect(client.getsockname()).toBe('');
    });
    expect(readdirSync(dir).length).toBe(before);
  });

  it('an abstract name with NUL bytes inside it is a different name from its prefix and comes back whole', async () => {
    const prefix = abstractName();
    const name = `${prefix}\0tail\0x`;
    await withPair(name, async ({ server, client }) => {
      expect(server.getsockname()).toBe(name);
      expect(client.getpeername()).toBe(name);
      const refused = new Pipe();
      const result = await new Promise<unknown>((resolve) => refused.connect(prefix, resolve));
      expect(errorCode(result)).toBe('ECONNREFUSED');
      await refused.close();
    });
  });

  it('shutdown: the peer reads the bytes, then EOF exactly once; the other direction still works', async () => {
    await withPair(socketPath(), async ({ client, peer }) => {
      const events: Array<[unknown, string | null]> = [];
      const eof = new Promise<void>((resolve) => {
        peer.startRead((err, data) => {
          events.push([codeOrNull(err), data === null ? null : data.toString('latin1')]);
          if (data === null) resolve();
        });
      });
      const shutdowns: unknown[] = [];
      client.write('bye');
      const shutDown = new Promise<void>((resolve) =>
        client.shutdown((err) => {
          shutdowns.push(codeOrNull(err));
          resolve();
        }),
      );
      await within(Promise.all([eof, shutDown]), 10_000, 'EOF and shutdown');
      expect(client.writable).toBe(false);
      const back = readToEnd(client);
      await peer.write('still here');
      await peer.shutdown();
      expect((await within(back, 10_000, 'reply')).toString('latin1')).toBe('still here');
      await tick();
      expect(events).toEqual([
        [null, 'bye'],
        [null, null],
      ]);
      expect(shutdowns).toEqual([null]);
    });
  });

  it('NUL bytes and all 256 byte values arrive intact (buffers and strings)', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const text = 'a\0b\0\0c';
      const received = readToEnd(peer);
      client.write(Buffer.alloc(4));
      client.write(all);
      client.write(text);
      client.write([Buffer.alloc(3), '\0']);
      await client.shutdown();
      const got = await within(received, 10_000, 'EOF');
      expectBytes(got, Buffer.concat([Buffer.alloc(4), all, Buffer.from(text), Buffer.alloc(4)]));
      expect(got.length).toBe(4 + 256 + 6 + 4);
    });
  });

  it('12 chunks in one write() arrive concatenated, with exactly one callback', async () => {
    await withPair(socketPath(), async ({ client, peer }) => {
      const backing = Buffer.from('0123456789abcdef');
      const chunks: Array<Uint8Array | string> = Array.from({ length: 12 }, (_, i) =>
        i % 4 === 0 ? `chunk-${i};` : i % 4 === 1 ? Buffer.alloc(i, 0x40 + i) : i % 4 === 2 ? new Uint8Array([i, 0, i]) : backing.subarray(i % 5, i % 5 + 3),
      );
      const expected = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
      const received = readToEnd(peer);
      const results: unknown[] = [];
      await new Promise<void>((resolve) =>
        client.write(chunks, (err) => {
          results.push(codeOrNull(err));
          resolve();
        }),
      );
      await client.shutdown();
      expectBytes(await within(received, 10_000, 'EOF'), expected);
      await tick();
      expect(results).toEqual([null]);
    });
  });

  it('a 4 MiB write arrives byte-exact; reader() yields it and ends at EOF', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const data = pattern(4 * 1024 * 1024, 7);
      const chunks: Buffer[] = [];
      const reading = (async () => {
        for await (const chunk of peer.reader()) chunks.push(Buffer.from(chunk));
      })();
      const results: unknown[] = [];
      client.write(data, (err) => results.push(codeOrNull(err)));
      await client.shutdown();
      await within(reading, 30_000, 'reader()');
      expectBytes(Buffer.concat(chunks), data);
      expect(results).toEqual([null]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// errors

describe('Pipe on Loop.default(): async context', () => {
  it('connect and write callbacks run in their caller’s AsyncLocalStorage context, not the handle’s', async () => {
    const als = new AsyncLocalStorage<string>();
    const name = socketPath();
    let onPeer!: (peer: Pipe) => void;
    const accepted = new Promise<Pipe>((resolve) => (onPeer = resolve));
    const server = listenOn(undefined, name, onPeer);
    const client = new Pipe(); // made outside any store
    const seen: Array<[string, string | undefined]> = [];
    try {
      await new Promise<void>((resolve) => als.run('connect', () => client.connect(name, () => (seen.push(['connect', als.getStore()]), resolve()))));
      const peer = await accepted;
      const received = readToEnd(peer);
      const big = pattern(16 * 1024 * 1024, 5); // completes later, from libuv
      als.run('write', () => client.write(big, () => seen.push(['write', als.getStore()])));
      als.run('shutdown', () => client.shutdown(() => seen.push(['shutdown', als.getStore()])));
      expect((await received).length).toBe(big.length);
      await eventually(() => seen.length === 3, 'the callbacks');
      await closeAll(peer);
    } finally {
      await closeAll(client, server);
    }
    expect(seen).toEqual([
      ['connect', 'connect'],
      ['write', 'write'],
      ['shutdown', 'shutdown'],
    ]);
  });
});

describe('Pipe on Loop.default(): connect and bind errors', () => {
  it('a second connect() while one is pending throws EALREADY; the first completes once (ECANCELED on close) and nothing keeps the loop alive (child process)', async () => {
    const script = [
      `import { Pipe } from ${JSON.stringify(pathToFileURL(path.join(root, 'dist/index.js')).href)};`,
      'const events = [];',
      'const p = new Pipe();',
      "p.connect('/nonexistent/uvkit-a', (e) => events.push('first:' + (e ? e.code : 'ok')));",
      "try { p.connect('/nonexistent/uvkit-b', () => events.push('second')); } catch (e) { events.push('threw:' + e.code); }",
      "p.close(() => events.push('closed'));",
      "process.on('exit', () => console.log(JSON.stringify(events)));",
    ].join('\n');
    const r = await runNode(['--input-type=module', '-e', script]);
    expect({ status: r.status, timedOut: r.timedOut, stdout: r.stdout.trim() }).toEqual({
      status: 0,
      timedOut: false,
      stdout: JSON.stringify(['threw:EALREADY', 'first:ECANCELED', 'closed']),
    });
  });

  it('connect to a missing path: the callback gets a UVError ENOENT (syscall connect, address = the path) exactly once', async () => {
    const missing = path.join(dir, 'missing.sock');
    const client = new Pipe();
    const results: unknown[] = [];
    await new Promise<void>((resolve) =>
      client.connect(missing, (err) => {
        results.push(err);
        resolve();
      }),
    );
    await tick();
    expect(results.length).toBe(1);
    const error = results[0] as UVError;
    expect(error).toBeInstanceOf(UVError);
    expect(error.code).toBe('ENOENT');
    expect(error.errno).toBe(errors.codes.ENOENT);
    expect(error.syscall).toBe('connect');
    expect(error.address).toBe(missing);
    expect(error.message).toBe(`connect ENOENT ${missing}`);
    // The promise form rejects the same way.
    const again = new Pipe();
    const rejected = await again.connect(missing).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(errorCode(rejected)).toBe('ENOENT');
    expect((rejected as UVError).syscall).toBe('connect');
    await closeAll(client, again);
  });

  it('connect to an abstract name nobody listens on: ECONNREFUSED in the callback, once', async () => {
    const name = abstractName();
    const client = new Pipe();
    const results: unknown[] = [];
    await new Promise<void>((resolve) =>
      client.connect(name, (err) => {
        results.push(err);
        resolve();
      }),
    );
    await tick();
    expect(results.map(codeOrNull)).toEqual(['ECONNREFUSED']);
    expect((results[0] as UVError).syscall).toBe('connect');
    expect((results[0] as UVError).address).toBe(name);
    await client.close();
  });

  it('bind to a path that exists throws a UVError EADDRINUSE (a live socket, a regular file); the file is left alone', async () => {
    const name = socketPath();
    const first = new Pipe();
    first.bind(name);
    const second = new Pipe();
    expectUVError(() => second.bind(name), 'EADDRINUSE', 'bind');
    const file = path.join(dir, `regular-${++counter}`);
    writeFileSync(file, 'keep me');
    const third = new Pipe();
    expectUVError(() => third.bind(file), 'EADDRINUSE', 'bind');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    // The handle whose bind failed is still usable: it binds elsewhere.
    const other = socketPath();
    second.bind(other);
    expect(second.getsockname()).toBe(other);
    await closeAll(first, second, third);
  });

  it('an abstract name in use: EADDRINUSE', async () => {
    const name = abstractName();
    const first = new Pipe();
    first.bind(name);
    const second = new Pipe();
    expectUVError(() => second.bind(name), 'EADDRINUSE', 'bind');
    await closeAll(first, second);
  });

  it('a path name with a NUL byte inside is refused (ERR_INVALID_ARG_VALUE) by bind() and connect(): nothing is bound to the truncated path', async () => {
    const prefix = path.join(dir, `nul-${++counter}`);
    const name = `${prefix}\0rest`;
    const pipe = new Pipe();
    const target = new Pipe();
    const client = new Pipe();
    try {
      const thrownByBind = capture(() => pipe.bind(name));
      const made = capture(() => statSync(prefix));
      expect(errorCode(made), `bind(${JSON.stringify(name)}) created ${prefix}`).toBe('ENOENT');
      expect(errorCode(thrownByBind)).toBe('ERR_INVALID_ARG_VALUE');
      // connect() must not reach the truncated path either.
      target.bind(prefix);
      let connections = 0;
      target.listen(() => connections++);
      const results: unknown[] = [];
      const thrownByConnect = capture(() => client.connect(name, (err) => results.push(codeOrNull(err))));
      for (let i = 0; i < 5; i++) await tick();
      expect({ thrown: errorCode(thrownByConnect), results, connections }).toEqual({ thrown: 'ERR_INVALID_ARG_VALUE', results: [], connections: 0 });
    } finally {
      await closeAll(pipe, target, client);
      for (const h of Loop.default().handles) if (h instanceof Pipe) await h.close();
    }
  });

  it('state errors: write/tryWrite before connect (EBADF), shutdown/startRead (ENOTCONN), listen unbound (EINVAL), bind twice (EINVAL), names of an unbound pipe (EBADF)', async () => {
    const pipe = new Pipe();
    expectUVError(() => pipe.write('x', () => {}), 'EBADF', 'write');
    expectUVError(() => pipe.tryWrite('x'), 'EBADF', 'write');
    expectUVError(() => pipe.shutdown(() => {}), 'ENOTCONN', 'shutdown');
    expectUVError(() => pipe.startRead(() => {}), 'ENOTCONN', 'read');
    expectUVError(() => pipe.listen(() => {}), 'EINVAL', 'listen');
    expectUVError(() => pipe.getsockname(), 'EBADF', 'getsockname');
    expectUVError(() => pipe.getpeername(), 'EBADF', 'getpeername');
    expectUVError(() => pipe.fileno(), 'EBADF', 'uv_fileno');
    const name = abstractName();
    pipe.bind(name);
    expectUVError(() => pipe.bind(abstractName()), 'EINVAL', 'bind');
    expectUVError(() => pipe.getpeername(), 'ENOTCONN', 'getpeername');
    expect(pipe.getsockname()).toBe(name);
    expect(Number.isInteger(pipe.fileno()) && pipe.fileno() > 2).toBe(true);
    // An IPC pipe cannot listen (libuv's rule): the listening end of an IPC channel is a plain Pipe.
    const ipc = new Pipe(undefined, { ipc: true });
    ipc.bind(abstractName());
    expectUVError(() => ipc.listen(() => {}), 'EINVAL', 'listen');
    await closeAll(pipe, ipc);
  });

  it('accept(): nothing pending (EAGAIN), a TCP client (ERR_INVALID_ARG_VALUE), a client of another loop, a closed client', async () => {
    const server = new Pipe();
    server.bind(abstractName());
    server.listen(() => {});
    const nothing = new Pipe();
    expectUVError(() => server.accept(nothing), 'EAGAIN', 'accept');
    const tcp = new TCP();
    expect(expectError(() => server.accept(tcp), TypeError, 'ERR_INVALID_ARG_VALUE').message).toBe('The client must be a pipe handle');
    const loop = new Loop();
    const foreign = new Pipe(loop);
    expect(expectError(() => server.accept(foreign), TypeError, 'ERR_INVALID_ARG_VALUE').message).toBe("The client must be on the server's loop");
    const closed = new Pipe();
    void closed.close();
    expectClosed(() => server.accept(closed));
    expectError(() => server.accept({} as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    void foreign.close();
    loop.close();
    await closeAll(server, tcp, closed, nothing);
  });
});

// ---------------------------------------------------------------------------------------------
// open(fd)

describe('Pipe.open(fd)', () => {
  /** A FIFO in the temp directory. */
  function makeFifo(): string {
    const fifo = path.join(dir, `fifo-${++counter}`);
    execFileSync('mkfifo', [fifo]);
    return fifo;
  }

  it('a FIFO opened O_RDWR: what the Pipe writes it reads back; fileno() is the fd; close() closes the fd', async () => {
    const fd = openSync(makeFifo(), fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    const pipe = new Pipe();
    pipe.open(fd);
    expect(pipe.fileno()).toBe(fd);
    expect(pipe.readable).toBe(true);
    expect(pipe.writable).toBe(true);
    const got = readOnce(pipe);
    const results: unknown[] = [];
    pipe.write(Buffer.from('round\0trip'), (err) => results.push(codeOrNull(err)));
    expect((await within(got, 10_000, 'read')).toString('latin1')).toBe('round\0trip');
    await tick();
    expect(results).toEqual([null]);
    await pipe.close();
    // The Pipe owned the fd.
    expect(errorCode(capture(() => fstatSync(fd)))).toBe('EBADF');
  });

  it('a FIFO as a reader/writer pair: readable/writable follow the open mode; closing the writer gives the reader EOF', async () => {
    const fifo = makeFifo();
    const readFd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const writeFd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    const reader = new Pipe();
    const writer = new Pipe();
    reader.open(readFd);
    writer.open(writeFd);
    expect([reader.readable, reader.writable]).toEqual([true, false]);
    expect([writer.readable, writer.writable]).toEqual([false, true]);
    const received = readToEnd(reader);
    const data = pattern(300_000, 3);
    const results: unknown[] = [];
    writer.write(data, (err) => results.push(codeOrNull(err)));
    writer.write('|end', (err) => results.push(codeOrNull(err)));
    await new Promise<void>((resolve) => writer.write('', () => resolve()));
    await writer.close();
    expectBytes(await within(received, 10_000, 'EOF'), Buffer.concat([data, Buffer.from('|end')]));
    expect(results).toEqual([null, null]);
    await reader.close();
  });

  it('open(fd of a regular file) throws ERR_INVALID_ARG_VALUE naming the fd; the fd stays open and the Pipe unopened', async () => {
    const file = path.join(dir, `regular-${++counter}`);
    writeFileSync(file, 'data');
    const fd = openSync(file, 'r+');
    const pipe = new Pipe();
    try {
      const error = expectError(() => pipe.open(fd), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain(`fd ${fd} `);
      expect(error.message).toBe(`fd ${fd} is not a pipe, FIFO, socket or terminal (a Pipe cannot watch a regular file)`);
      expect(fstatSync(fd).isFile()).toBe(true);
      expectUVError(() => pipe.fileno(), 'EBADF', 'uv_fileno');
      expect(pipe.readable).toBe(false);
    } finally {
      closeSync(fd);
    }
    // The same handle can still adopt a FIFO.
    const fifoFd = openSync(makeFifo(), fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    pipe.open(fifoFd);
    expect(pipe.fileno()).toBe(fifoFd);
    await pipe.close();
  });

  it('open(fd of /dev/null) is refused the same way', async () => {
    const fd = openSync('/dev/null', 'r+');
    const pipe = new Pipe();
    try {
      const error = expectError(() => pipe.open(fd), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain(`fd ${fd} `);
      expect(fstatSync(fd).isCharacterDevice()).toBe(true);
    } finally {
      closeSync(fd);
    }
    await pipe.close();
  });

  it('open() of an fd another open handle has, on another loop: EEXIST naming the fd (libuv checks only its own loop)', async () => {
    const owner = new Pipe();
    owner.bind(`\0uvkit-pipe-owned-${process.pid}-${++counter}`);
    const loop = new Loop();
    const adopter = new Pipe(loop);
    const error = expectUVError(() => adopter.open(owner.fileno()), 'EEXIST', 'uv_pipe_open');
    expect(error.message).toContain(`fd ${owner.fileno()} belongs to another open handle`);
    // On the owner's own loop libuv's check answers first, with the same code.
    const sameLoop = new Pipe();
    expectUVError(() => sameLoop.open(owner.fileno()), 'EEXIST', 'uv_pipe_open');
    adopter.close();
    runToEnd(loop);
    loop.close();
    await Promise.all([sameLoop.close(), owner.close()]);
  });

  it('open() of an fd that is not open: UVError EBADF (uv_pipe_open)', async () => {
    const pipe = new Pipe();
    expectUVError(() => pipe.open(999_999), 'EBADF', 'uv_pipe_open');
    await pipe.close();
  });

  it('in a child process: after open() refused a regular file and /dev/null, the process keeps running and exits 0 (no libuv abort)', async () => {
    const file = path.join(dir, `regular-${++counter}`);
    writeFileSync(file, 'data');
    const r = await runNode([fixture('pipe-open-refused.mjs'), file]);
    expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
    const result = resultOf(r) as { refused: string[]; afterRefusal: string[]; fdsStillOpen: boolean[]; fifo: string; openHandles: number };
    expect(result.refused.length).toBe(2);
    expect(result.refused[0]).toMatch(/^regular fd (\d+): TypeError ERR_INVALID_ARG_VALUE fd \1 is not a pipe, FIFO, socket or terminal/);
    expect(result.refused[1]).toMatch(/^\/dev\/null fd (\d+): TypeError ERR_INVALID_ARG_VALUE fd \1 is not a pipe/);
    expect(result.afterRefusal).toEqual(['startRead: UVError ENOTCONN ENOTCONN: socket is not connected, read', 'write: UVError EBADF EBADF: bad file descriptor, write']);
    expect(result.fdsStillOpen).toEqual([true, true]);
    expect(result.fifo).toBe('after the refusals');
    expect(result.openHandles).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// chmod, pendingInstances

describe('Pipe: chmod() and pendingInstances()', () => {
  it("chmod('r' | 'w' | 'rw') gives everyone read / write permission on the socket file", async () => {
    const name = socketPath();
    const pipe = new Pipe();
    try {
      pipe.bind(name);
      const mode = (): number => statSync(name).mode & 0o777;
      // libuv 1.46 adds these bits to the mode; newer libuv (Node 22) sets exactly them (0o444 for
      // 'r'). Either way group and others get exactly the asked permission.
      const cases: Array<['r' | 'w' | 'rw', number]> = [
        ['r', 0o444],
        ['w', 0o222],
        ['rw', 0o666],
      ];
      for (const [flags, bits] of cases) {
        chmodSync(name, 0o700);
        expect(mode()).toBe(0o700);
        pipe.chmod(flags);
        expect(mode() & 0o077, `chmod('${flags}')`).toBe(bits & 0o077);
      }
    } finally {
      await pipe.close();
    }
  });

  it('chmod(): bad modes throw ERR_INVALID_ARG_VALUE and change nothing; an unbound pipe is EBADF; an abstract name has no file (ENOENT)', async () => {
    const name = socketPath();
    const pipe = new Pipe();
    pipe.bind(name);
    chmodSync(name, 0o700);
    for (const bad of ['', 'R', 'wr', 'rwx', 'x', 1, 3, null, undefined, {}, ['r']]) {
      expectError(() => pipe.chmod(bad as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    }
    expect(statSync(name).mode & 0o777).toBe(0o700);
    const unbound = new Pipe();
    expectUVError(() => unbound.chmod('rw'), 'EBADF', 'chmod');
    const abstract = new Pipe();
    abstract.bind(abstractName());
    expectUVError(() => abstract.chmod('rw'), 'ENOENT', 'chmod');
    await closeAll(pipe, unbound, abstract);
  });

  it('pendingInstances(n) accepts positive integers; 0, -1, 1.5, 2**31, NaN are ERR_OUT_OF_RANGE; non-numbers ERR_INVALID_ARG_TYPE', async () => {
    const pipe = new Pipe();
    expect(pipe.pendingInstances(1)).toBeUndefined();
    expect(pipe.pendingInstances(4)).toBeUndefined();
    expect(pipe.pendingInstances(2 ** 31 - 1)).toBeUndefined();
    for (const bad of [0, -1, 1.5, 2 ** 31, Number.NaN, Infinity]) expectError(() => pipe.pendingInstances(bad), RangeError, 'ERR_OUT_OF_RANGE');
    for (const bad of ['2', null, undefined, 2n, {}]) expectError(() => pipe.pendingInstances(bad as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    await pipe.close();
  });
});

// ---------------------------------------------------------------------------------------------
// IPC in this process

describe('Pipe IPC in one process', () => {
  /** Reads on `peer` and records every read: data and the pending handle type at that moment. */
  function recordReads(peer: Pipe, onRead: (data: Buffer, pending: number) => void): void {
    peer.startRead((err, data) => {
      if (err !== null || data === null) return;
      onRead(Buffer.from(data), peer.pendingHandleType());
    });
  }

  it('ipc: true on the client and the accepted peer; a plain pipe reports ipc false and pendingHandleType() UNKNOWN_HANDLE', async () => {
    await withPair(abstractName(), async ({ server, client, peer }) => {
      expect(server.ipc).toBe(false);
      expect(client.ipc).toBe(true);
      expect(peer.ipc).toBe(true);
      expect(peer.pendingHandleType()).toBe(HT.UNKNOWN_HANDLE);
      expect(server.pendingHandleType()).toBe(HT.UNKNOWN_HANDLE);
      // IPC pipes carry plain data too.
      const got = readOnce(peer);
      await client.write('plain data');
      expect((await within(got, 10_000, 'read')).toString('latin1')).toBe('plain data');
    }, true);
  });

  it('a bound, listening TCP passed with write(data, cb, tcp): data arrives, pendingHandleType() is TCP, the accepted handle has the same address and accepts connections', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const tcp = new TCP();
      tcp.bind({ address: '127.0.0.1', port: 0 });
      let senderConnections = 0;
      tcp.listen(() => senderConnections++);
      const sent = tcp.getsockname();

      const reads: Array<[string, number]> = [];
      let received: TCP | undefined;
      recordReads(peer, (data, pending) => {
        reads.push([data.toString('latin1'), pending]);
        if (pending === HT.TCP) {
          received = new TCP();
          peer.accept(received);
        }
      });
      const results: unknown[] = [];
      await new Promise<void>((resolve) =>
        client.write('tcp!', (err) => {
          results.push(codeOrNull(err));
          resolve();
        }, tcp),
      );
      await eventually(() => received !== undefined, 'the TCP handle arrives');
      expect(results).toEqual([null]);
      expect(reads).toEqual([['tcp!', HT.TCP]]);
      expect(peer.pendingHandleType()).toBe(HT.UNKNOWN_HANDLE);
      const got = received as TCP;
      expect(got.getsockname()).toEqual(sent);
      expect(got.loop).toBe(Loop.default());

      // The received server works: close the sender's copy, listen on the received one, connect.
      await tcp.close();
      const accepted: TCP[] = [];
      got.listen((err) => {
        if (err !== null) return;
        const conn = new TCP();
        got.accept(conn);
        accepted.push(conn);
        conn.write('from the received server', () => void conn.close());
      });
      const conn = new TCP();
      await conn.connect({ address: '127.0.0.1', port: sent.port });
      expect((await within(readToEnd(conn), 10_000, 'reply')).toString('latin1')).toBe('from the received server');
      expect(accepted.length).toBe(1);
      expect(senderConnections).toBe(0);
      await closeAll(conn, got);
    }, true);
  });

  it('a bound, listening Pipe passed likewise: pendingHandleType() is NAMED_PIPE; the accepted Pipe has the same name', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const name = abstractName();
      const sentPipe = new Pipe();
      sentPipe.bind(name);
      sentPipe.listen(() => {});
      let received: Pipe | undefined;
      const reads: Array<[string, number]> = [];
      recordReads(peer, (data, pending) => {
        reads.push([data.toString('latin1'), pending]);
        if (pending === HT.NAMED_PIPE) {
          received = new Pipe();
          peer.accept(received);
        }
      });
      await new Promise<void>((resolve) => client.write('pipe!', () => resolve(), sentPipe));
      await eventually(() => received !== undefined, 'the Pipe handle arrives');
      expect(reads).toEqual([['pipe!', HT.NAMED_PIPE]]);
      expect((received as Pipe).getsockname()).toBe(name);
      expect((received as Pipe).ipc).toBe(false);
      await closeAll(sentPipe, received as Pipe);
    }, true);
  });

  it('a bound UDP socket passed likewise: pendingHandleType() is UDP, the accepted UDP has the same address and receives datagrams; a UDP pending into a TCP (and a TCP pending into a UDP) is refused and stays pending', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const sent = new UDP();
      sent.bind({ address: '127.0.0.1', port: 0 });
      const address = sent.getsockname();
      const tcp = new TCP();
      tcp.bind({ address: '127.0.0.1', port: 0 });
      const reads: Array<[string, number]> = [];
      recordReads(peer, (data, pending) => reads.push([data.toString('latin1'), pending]));
      await new Promise<void>((resolve) => client.write('udp!', () => resolve(), sent));
      await eventually(() => reads.length === 1, 'the UDP handle arrives');
      expect(reads).toEqual([['udp!', HT.UDP]]);
      // Wrong client types are refused before libuv (which would close the received socket).
      const wrongTcp = new TCP();
      expect(expectError(() => peer.accept(wrongTcp), TypeError, 'ERR_INVALID_ARG_VALUE').message).toBe('The client must be a udp handle');
      expect(peer.pendingHandleType()).toBe(HT.UDP);
      const received = new UDP();
      peer.accept(received);
      expect(received.getsockname()).toEqual(address);
      expect(peer.pendingHandleType()).toBe(HT.UNKNOWN_HANDLE);
      await sent.close();
      const datagrams: string[] = [];
      received.startRecv((err, data) => {
        if (err === null && data !== null) datagrams.push(data.toString('latin1'));
      });
      const sender = new UDP();
      await sender.send('to the received socket', address);
      await eventually(() => datagrams.length === 1, 'the datagram arrives');
      expect(datagrams).toEqual(['to the received socket']);

      // A TCP pending: a UDP client is refused.
      await new Promise<void>((resolve) => client.write('tcp!', () => resolve(), tcp));
      await eventually(() => reads.length === 2, 'the TCP handle arrives');
      const wrongUdp = new UDP();
      expect(expectError(() => peer.accept(wrongUdp), TypeError, 'ERR_INVALID_ARG_VALUE').message).toBe('The client must be a tcp handle');
      const receivedTcp = new TCP();
      peer.accept(receivedTcp);
      expect(receivedTcp.getsockname()).toEqual(tcp.getsockname());
      // A UDP that already has a socket cannot take one.
      await new Promise<void>((resolve) => client.write('udp again', () => resolve(), received));
      await eventually(() => reads.length === 3, 'the UDP handle arrives again');
      const bound = new UDP();
      bound.bind({ address: '127.0.0.1', port: 0 });
      expect(expectError(() => peer.accept(bound), TypeError, 'ERR_INVALID_ARG_VALUE').message).toBe(
        'The client already has a socket: accept() needs a new handle',
      );
      const again = new UDP();
      peer.accept(again);
      expect(again.getsockname()).toEqual(address);
      await closeAll(received, sender, tcp, wrongTcp, wrongUdp, receivedTcp, bound, again);
    }, true);
  });

  it('a connected Pipe and the IPC pipe itself can be sent; handles queue in order (TCP, NAMED_PIPE, TCP)', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const tcpA = new TCP();
      tcpA.bind({ address: '127.0.0.1', port: 0 });
      const tcpB = new TCP();
      tcpB.bind({ address: '127.0.0.1', port: 0 });
      const types: number[] = [];
      const got: Array<TCP | Pipe> = [];
      let bytes = '';
      peer.startRead((err, data) => {
        if (err !== null || data === null) return;
        bytes += data.toString('latin1');
        for (let t = peer.pendingHandleType(); t !== HT.UNKNOWN_HANDLE; t = peer.pendingHandleType()) {
          types.push(t);
          const h = t === HT.TCP ? new TCP() : new Pipe();
          peer.accept(h);
          got.push(h);
        }
      });
      const results: unknown[] = [];
      client.write('1', (err) => results.push(codeOrNull(err)), tcpA);
      client.write('2', (err) => results.push(codeOrNull(err)), client);
      client.write('3', (err) => results.push(codeOrNull(err)), tcpB);
      await eventually(() => got.length === 3 && results.length === 3, 'three handles');
      expect(results).toEqual([null, null, null]);
      expect(bytes).toBe('123');
      expect(types).toEqual([HT.TCP, HT.NAMED_PIPE, HT.TCP]);
      expect((got[0] as TCP).getsockname()).toEqual(tcpA.getsockname());
      expect((got[2] as TCP).getsockname()).toEqual(tcpB.getsockname());
      // The received copy of the channel is connected to the same server name.
      expect((got[1] as Pipe).getpeername()).toBe(client.getpeername());
      await closeAll(tcpA, tcpB, ...got);
    }, true);
  });

  it('accept() of the wrong type for the pending handle (TCP pending, Pipe given) throws ERR_INVALID_ARG_VALUE and keeps the handle pending', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const tcp = new TCP();
      tcp.bind({ address: '127.0.0.1', port: 0 });
      let read = false;
      peer.startRead((err, data) => {
        if (err === null && data !== null) read = true;
      });
      await new Promise<void>((resolve) => client.write('x', () => resolve(), tcp));
      await eventually(() => read, 'the write arrives');
      expect(peer.pendingHandleType()).toBe(HT.TCP);
      const wrong = new Pipe();
      const error = expectError(() => peer.accept(wrong), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(error.message).toBe('The client must be a tcp handle');
      expect(peer.pendingHandleType()).toBe(HT.TCP);
      const right = new TCP();
      peer.accept(right);
      expect(right.getsockname()).toEqual(tcp.getsockname());
      expect(peer.pendingHandleType()).toBe(HT.UNKNOWN_HANDLE);
      await closeAll(tcp, wrong, right);
    }, true);
  });

  it('sendHandle checks: a non-IPC pipe (ERR_INVALID_ARG_VALUE), a closed handle (ERR_HANDLE_CLOSED), non-handles (ERR_INVALID_ARG_TYPE); nothing is sent', async () => {
    const tcp = new TCP();
    tcp.bind({ address: '127.0.0.1', port: 0 });
    const closedTcp = new TCP();
    void closedTcp.close();
    const timer = new Timer();
    const loop = new Loop();
    await withPair(abstractName(), async ({ client, peer }) => {
      const plain = await connectPair(abstractName());
      try {
        const callbacks: unknown[] = [];
        const cb = (err: UVError | null): void => void callbacks.push(codeOrNull(err));
        expect(expectError(() => plain.client.write('x', cb, tcp), TypeError, 'ERR_INVALID_ARG_VALUE').message).toBe('Only IPC pipes can send handles');
        expectClosed(() => client.write('x', cb, closedTcp));
        for (const bad of [{}, timer, loop, 'tcp', 1, null]) {
          expectError(() => client.write('x', cb, bad as never), TypeError, 'ERR_INVALID_ARG_TYPE');
        }
        // Nothing was sent on either pipe: the next byte is the first to arrive.
        const ipcGot = readOnce(peer);
        const plainGot = readOnce(plain.peer);
        client.write('first', cb);
        plain.client.write('first', cb);
        expect((await within(ipcGot, 10_000, 'ipc read')).toString('latin1')).toBe('first');
        expect((await within(plainGot, 10_000, 'plain read')).toString('latin1')).toBe('first');
        expect(peer.pendingHandleType()).toBe(HT.UNKNOWN_HANDLE);
        await tick();
        expect(callbacks).toEqual([null, null]);
      } finally {
        await closePair(plain);
      }
    }, true);
    await closeAll(tcp, closedTcp, timer);
    loop.close();
  });

  it('sendHandle without a socket (a new TCP, an unconnected Pipe) is a UVError EBADF (write), thrown; nothing is sent', async () => {
    await withPair(abstractName(), async ({ client, peer }) => {
      const noSocketTcp = new TCP();
      const noSocketPipe = new Pipe();
      expectUVError(() => client.write('x', () => {}, noSocketTcp), 'EBADF', 'write');
      expectUVError(() => client.write('x', () => {}, noSocketPipe), 'EBADF', 'write');
      const got = readOnce(peer);
      await client.write('next');
      expect((await within(got, 10_000, 'read')).toString('latin1')).toBe('next');
      await closeAll(noSocketTcp, noSocketPipe);
    }, true);
  });

  it('a TTY is not a sendHandle: ERR_INVALID_ARG_TYPE ("a TCP or Pipe handle")', async () => {
    await withPair(abstractName(), async ({ client }) => {
      const tty = new TTY(openSync('/dev/ptmx', 'r+'));
      try {
        expectError(() => client.write('x', () => {}, tty), TypeError, 'ERR_INVALID_ARG_TYPE');
      } finally {
        await tty.close();
      }
    }, true);
  });

  it('a sendHandle of another loop is refused (ERR_INVALID_ARG_VALUE), as accept() refuses a client of another loop', async () => {
    const loop = new Loop();
    const foreign = new TCP(loop);
    foreign.bind({ address: '127.0.0.1', port: 0 });
    try {
      await withPair(abstractName(), async ({ client, peer }) => {
        const arrived: number[] = [];
        peer.startRead((err, data) => {
          if (err === null && data !== null) arrived.push(peer.pendingHandleType());
        });
        const callbacks: unknown[] = [];
        const thrownError = capture(() => client.write('x', (err) => callbacks.push(codeOrNull(err)), foreign));
        await client.write('y');
        await eventually(() => arrived.length > 0, 'a read');
        expect(errorCode(thrownError)).toBe('ERR_INVALID_ARG_VALUE');
        expect(arrived).toEqual([HT.UNKNOWN_HANDLE]);
        // Drain whatever did arrive so that no received fd stays pending.
        while (peer.pendingHandleType() === HT.TCP) {
          const t = new TCP();
          peer.accept(t);
          await t.close();
        }
      }, true);
    } finally {
      void foreign.close();
      loop.close();
    }
  });

  it.each(['close', 'gc'])(
    'a sendHandle that goes away (%s) while its write is still queued: no crash; it is still sent (the close waits for the write); child process',
    async (mode) => {
      const r = await runNode(['--expose-gc', fixture('pipe-sendhandle-closed.mjs'), mode]);
      expect(outcome(r)).toEqual({ status: 0, signal: null, timedOut: false, stderr: '' });
      const result = resultOf(r) as { writeCallbacks: unknown[]; received: number[]; sentPort: number; dataBytes: number; filled: number; done: boolean; openHandles: number };
      expect(result.done).toBe(true);
      expect(result.filled).toBeGreaterThan(0);
      expect(result.writeCallbacks.length).toBe(1);
      // The pending write keeps the handle: it arrives, and a close() only completes after that.
      expect(result.writeCallbacks).toEqual([null]);
      expect(result.received).toEqual([result.sentPort]);
      expect(result.dataBytes).toBe(result.filled + 1);
      if (mode === 'close') expect((result as { closedAfterWrite?: boolean }).closedAfterWrite).toBe(true);
      expect(result.openHandles).toBe(0);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// IPC across processes

describe('Pipe IPC across processes', () => {
  it('TCP and Pipe servers and UDP sockets go to a child (which serves them) and come back from it (the parent serves them)', async () => {
    checkDistFresh();
    // A path: abstract names cannot go through argv (NUL bytes).
    const channelName = socketPath();
    const channelServer = new Pipe();
    channelServer.bind(channelName);
    const channelReady = new Promise<Pipe>((resolve) =>
      channelServer.listen((err) => {
        if (err !== null) return;
        const ipc = new Pipe(undefined, { ipc: true });
        channelServer.accept(ipc);
        resolve(ipc);
      }),
    );
    const child = spawn(process.execPath, [fixture('pipe-ipc-child.mjs'), channelName], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    let childErr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (childOut += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (childErr += c));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);

    const toClose: Array<{ close(): Promise<void> }> = [channelServer];
    try {
      const channel = await within(channelReady, 10_000, 'the child connects');
      toClose.push(channel);
      expect(channel.ipc).toBe(true);

      // Lines from the child; the back-* lines carry a handle, accepted as the line is parsed.
      const lines: string[] = [];
      const backTypes: number[] = [];
      let backTcp: TCP | undefined;
      let backPipe: Pipe | undefined;
      let backUdp: UDP | undefined;
      let buffered = '';
      channel.startRead((err, data) => {
        if (err !== null || data === null) return;
        buffered += data.toString('latin1');
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          lines.push(line);
          if (line.startsWith('back-tcp ')) {
            backTypes.push(channel.pendingHandleType());
            backTcp = new TCP();
            channel.accept(backTcp);
            toClose.push(backTcp);
          } else if (line.startsWith('back-pipe ')) {
            backTypes.push(channel.pendingHandleType());
            backPipe = new Pipe();
            channel.accept(backPipe);
            toClose.push(backPipe);
          } else if (line.startsWith('back-udp ')) {
            backTypes.push(channel.pendingHandleType());
            backUdp = new UDP();
            channel.accept(backUdp);
            toClose.push(backUdp);
          }
        }
      });
      const lineStarting = (prefix: string): string | undefined => lines.find((l) => l.startsWith(prefix));

      // 1. From the child: a bound TCP, a bound Pipe and a bound UDP, which the parent now serves.
      await eventually(() => backTcp !== undefined && backPipe !== undefined && backUdp !== undefined, 'handles from the child');
      expect(backTypes).toEqual([HT.TCP, HT.NAMED_PIPE, HT.UDP]);
      const backUdpPort = Number((lineStarting('back-udp ') as string).slice('back-udp '.length));
      expect((backUdp as UDP).getsockname()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: backUdpPort });
      const backPort = Number((lineStarting('back-tcp ') as string).slice('back-tcp '.length));
      const backName = JSON.parse((lineStarting('back-pipe ') as string).slice('back-pipe '.length)) as string;
      expect((backTcp as TCP).getsockname()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: backPort });
      expect((backPipe as Pipe).getsockname()).toBe(backName);
      const parentServe = (server: TCP | Pipe, make: () => TCP | Pipe): void => {
        server.listen((err) => {
          if (err !== null) return;
          const conn = make();
          server.accept(conn);
          toClose.push(conn);
          void readToEnd(conn).then((data) => conn.write(['parent:', data], () => void conn.close()));
        });
      };
      parentServe(backTcp as TCP, () => new TCP());
      parentServe(backPipe as Pipe, () => new Pipe());
      const udpServer = backUdp as UDP;
      udpServer.startRecv((err, data, addr) => {
        if (err === null && data !== null && addr !== null) udpServer.send(['parent:', Buffer.from(data)], addr, () => {});
      });
      // One datagram to `port`; resolves with the first datagram that comes back.
      const askUdp = async (port: number, text: string): Promise<string> => {
        const client = new UDP();
        toClose.push(client);
        client.bind({ address: '127.0.0.1', port: 0 });
        const reply = new Promise<string>((resolve) =>
          client.startRecv((err, data) => {
            if (err === null && data !== null) resolve(data.toString('latin1'));
          }),
        );
        await client.send(text, { address: '127.0.0.1', port });
        return within(reply, 10_000, `reply to ${text}`);
      };
      const ask = async (client: TCP | Pipe, connect: Promise<void>, text: string): Promise<string> => {
        toClose.push(client);
        await connect;
        const reply = readToEnd(client);
        await client.write(text);
        await client.shutdown();
        return (await within(reply, 10_000, `reply to ${text}`)).toString('latin1');
      };
      const tcpClient1 = new TCP();
      expect(await ask(tcpClient1, tcpClient1.connect({ address: '127.0.0.1', port: backPort }), 'hello-back-tcp')).toBe('parent:hello-back-tcp');
      const pipeClient1 = new Pipe();
      expect(await ask(pipeClient1, pipeClient1.connect(backName), 'hello-back-pipe')).toBe('parent:hello-back-pipe');
      expect(await askUdp(backUdpPort, 'hello-back-udp')).toBe('parent:hello-back-udp');

      // 2. To the child: a listening TCP server and a listening Pipe server; the parent closes its
      // copies once sent, so only the child can accept the connections that follow.
      let parentConnections = 0;
      const tcpServer = new TCP();
      tcpServer.bind({ address: '127.0.0.1', port: 0 });
      tcpServer.listen(() => parentConnections++);
      const tcpPort = tcpServer.getsockname().port;
      const pipeName = abstractName();
      const pipeServer = new Pipe();
      pipeServer.bind(pipeName);
      pipeServer.listen(() => parentConnections++);
      const sendResults: unknown[] = [];
      await new Promise<void>((resolve) =>
        channel.write('T', (err) => {
          sendResults.push(codeOrNull(err));
          resolve();
        }, tcpServer),
      );
      await new Promise<void>((resolve) =>
        channel.write('P', (err) => {
          sendResults.push(codeOrNull(err));
          resolve();
        }, pipeServer),
      );
      const udpSocket = new UDP();
      udpSocket.bind({ address: '127.0.0.1', port: 0 });
      const udpPort = udpSocket.getsockname().port;
      await new Promise<void>((resolve) =>
        channel.write('U', (err) => {
          sendResults.push(codeOrNull(err));
          resolve();
        }, udpSocket),
      );
      await closeAll(tcpServer, pipeServer, udpSocket);
      expect(sendResults).toEqual([null, null, null]);
      await eventually(
        () => lineStarting('got-tcp ') !== undefined && lineStarting('got-pipe ') !== undefined && lineStarting('got-udp ') !== undefined,
        'the child reports the three handles',
      );
      expect(lineStarting('got-udp ')).toBe(`got-udp ${udpPort}`);
      expect(lineStarting('got-tcp ')).toBe(`got-tcp ${tcpPort}`);
      expect(lineStarting('got-pipe ')).toBe(`got-pipe ${JSON.stringify(pipeName)}`);
      const tcpClient2 = new TCP();
      expect(await ask(tcpClient2, tcpClient2.connect({ address: '127.0.0.1', port: tcpPort }), 'hello-tcp')).toBe('child:hello-tcp');
      const pipeClient2 = new Pipe();
      expect(await ask(pipeClient2, pipeClient2.connect(pipeName), 'hello-pipe')).toBe('child:hello-pipe');
      expect(await askUdp(udpPort, 'hello-udp')).toBe('child:hello-udp');
      expect(parentConnections).toBe(0);

      // 3. EOF on the channel ends the child.
      await channel.close();
      const [status, signal] = await within(exited, 20_000, 'the child exits');
      expect({ status, signal, stderr: childErr }).toEqual({ status: 0, signal: null, stderr: '' });
      expect(childOut).toBe(`CHILD-DONE ${JSON.stringify({ servedTcp: 1, servedPipe: 1, servedUdp: 1, receivedTypes: [HT.TCP, HT.NAMED_PIPE, HT.UDP], sentBack: 3 })}\n`);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closeAll(...toClose);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// lifetime

describe('Pipe on Loop.default(): every request callback fires exactly once', () => {
  it('connect, writes and shutdown on a working pair: one callback each, with success, in order', async () => {
    const name = socketPath();
    const events: string[] = [];
    let onPeer!: (p: Pipe) => void;
    const accepted = new Promise<Pipe>((resolve) => (onPeer = resolve));
    const server = listenOn(undefined, name, onPeer);
    const client = new Pipe();
    await new Promise<void>((resolve) =>
      client.connect(name, (err) => {
        events.push(`connect ${String(codeOrNull(err))}`);
        resolve();
      }),
    );
    const peer = await accepted;
    const received = readToEnd(peer);
    for (let i = 0; i < 5; i++) client.write(`w${i};`, (err) => events.push(`write${i} ${String(codeOrNull(err))}`));
    await new Promise<void>((resolve) =>
      client.shutdown((err) => {
        events.push(`shutdown ${String(codeOrNull(err))}`);
        resolve();
      }),
    );
    expect((await within(received, 10_000, 'EOF')).toString('latin1')).toBe('w0;w1;w2;w3;w4;');
    for (let i = 0; i < 3; i++) await tick();
    expect(events).toEqual(['connect null', 'write0 null', 'write1 null', 'write2 null', 'write3 null', 'write4 null', 'shutdown null']);
    await closeAll(client, peer, server);
  });

  it('closing with 1024 queued writes (the peer does not read, the buffer is full): 1024 callbacks, each once, ECANCELED, all before the close callback', async () => {
    await withPair(socketPath(), async ({ client }) => {
      expect(fill(client)).toBeGreaterThan(0);
      const calls = new Array<number>(1024).fill(0);
      const codes = new Array<unknown>(1024).fill('not called');
      const order: string[] = [];
      for (let i = 0; i < 1024; i++) {
        client.write(Buffer.alloc(512, i & 0xff), (err) => {
          calls[i] = (calls[i] ?? 0) + 1;
          codes[i] = codeOrNull(err);
          order.push(`w${i}`);
        });
      }
      expect(client.writeQueueSize).toBe(1024 * 512);
      await new Promise<void>((resolve) =>
        client.close(() => {
          order.push('close');
          resolve();
        }),
      );
      for (let i = 0; i < 3; i++) await tick();
      expect(calls.filter((c) => c !== 1)).toEqual([]);
      expect(new Set(codes)).toEqual(new Set(['ECANCELED']));
      expect(order.length).toBe(1025);
      expect(order[1024]).toBe('close');
      expect(order.slice(0, 1024)).toEqual(Array.from({ length: 1024 }, (_, i) => `w${i}`));
    });
  });

  it('the promise forms of queued writes reject with ECANCELED before close() resolves', async () => {
    await withPair(abstractName(), async ({ client }) => {
      fill(client);
      const settled: string[] = [];
      const writes = Array.from({ length: 16 }, (_, i) =>
        client.write(`x${i}`).then(
          () => settled.push(`ok${i}`),
          (e: unknown) => settled.push(`${String(errorCode(e))}${i}`),
        ),
      );
      await client.close().then(() => settled.push('closed'));
      await Promise.all(writes);
      expect(settled).toEqual([...Array.from({ length: 16 }, (_, i) => `ECANCELED${i}`), 'closed']);
    });
  });

  it('a pending connect is cancelled by close(): ECANCELED exactly once, before the close callback (found and missing targets)', async () => {
    const name = abstractName();
    const server = listenOn(undefined, name, (p) => void p.close());
    const events: string[] = [];
    const a = new Pipe();
    a.connect(name, (err) => events.push(`a ${String(codeOrNull(err))}`));
    const b = new Pipe();
    b.connect(path.join(dir, 'nothing-here'), (err) => events.push(`b ${String(codeOrNull(err))}`));
    await Promise.all([a.close().then(() => events.push('a closed')), b.close().then(() => events.push('b closed'))]);
    for (let i = 0; i < 3; i++) await tick();
    expect(events.filter((e) => e.startsWith('a'))).toEqual(['a ECANCELED', 'a closed']);
    expect(events.filter((e) => e.startsWith('b'))).toEqual(['b ECANCELED', 'b closed']);
    await server.close();
  });

  it('close() with a shutdown pending: the shutdown callback gets ECANCELED once, before the close callback', async () => {
    await withPair(socketPath(), async ({ client }) => {
      fill(client);
      client.write('queued', () => {});
      const events: string[] = [];
      client.shutdown((err) => events.push(`shutdown ${String(codeOrNull(err))}`));
      await client.close().then(() => events.push('closed'));
      await tick();
      expect(events).toEqual(['shutdown ECANCELED', 'closed']);
    });
  });

  it('close inside the read callback: no further read callback; close inside the connect callback', async () => {
    await withPair(abstractName(), async ({ client, peer, name }) => {
      let reads = 0;
      const closed = new Promise<void>((resolve) =>
        peer.startRead(() => {
          reads++;
          peer.close(() => resolve());
        }),
      );
      client.write('one');
      await within(closed, 10_000, 'close in read');
      client.write('two', () => {});
      for (let i = 0; i < 5; i++) await tick();
      expect(reads).toBe(1);

      const other = new Pipe();
      const events: string[] = [];
      await new Promise<void>((resolve) =>
        other.connect(name, (err) => {
          events.push(`connect ${String(codeOrNull(err))}`);
          other.close(() => {
            events.push('closed');
            resolve();
          });
        }),
      );
      expect(events).toEqual(['connect null', 'closed']);
    });
  });

  it('close twice: both callbacks run once; close() after closed resolves', async () => {
    const pipe = new Pipe();
    pipe.bind(abstractName());
    let first = 0;
    let second = 0;
    pipe.close(() => first++);
    const promise = pipe.close();
    pipe.close(() => second++);
    await promise;
    await tick();
    expect([first, second, pipe.closed]).toEqual([1, 1, true]);
    await expect(pipe.close()).resolves.toBeUndefined();
    let third = 0;
    pipe.close(() => third++);
    await tick();
    expect(third).toBe(1);
  });

  it('a reading pipe whose references were dropped still reads after gc, and closes from its callback', async () => {
    expect(typeof globalThis.gc).toBe('function');
    const name = abstractName();
    let onPeer!: (p: Pipe) => void;
    const accepted = new Promise<Pipe>((resolve) => (onPeer = resolve));
    const server = listenOn(undefined, name, onPeer);
    const got: string[] = [];
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    await (async (): Promise<void> => {
      const client = new Pipe();
      await client.connect(name);
      client.startRead(function (this: Pipe, err, data) {
        if (err === null && data !== null) got.push(data.toString('latin1'));
        this.close(() => closed());
      });
    })();
    const peer = await accepted;
    for (let i = 0; i < 5; i++) {
      globalThis.gc?.();
      await tick();
    }
    await peer.write('still here');
    await within(done, 10_000, 'the dropped client reads');
    expect(got).toEqual(['still here']);
    await closeAll(peer, server);
  });

  it('every method throws ERR_HANDLE_CLOSED while closing and once closed; no callback runs', async () => {
    const pair = await connectPair(abstractName());
    const { client } = pair;
    const callbacks: string[] = [];
    const cb = (): void => void callbacks.push('called');
    const calls: Array<[string, () => unknown]> = [
      ['bind', () => client.bind(abstractName())],
      ['connect', () => client.connect(abstractName(), cb)],
      ['open', () => client.open(0)],
      ['pendingInstances', () => client.pendingInstances(1)],
      ['pendingHandleType', () => client.pendingHandleType()],
      ['getsockname', () => client.getsockname()],
      ['getpeername', () => client.getpeername()],
      ['chmod', () => client.chmod('rw')],
      ['write', () => client.write('x', cb)],
      ['tryWrite', () => client.tryWrite('x')],
      ['shutdown', () => client.shutdown(cb)],
      ['listen', () => client.listen(cb)],
      ['accept', () => client.accept(new Pipe())],
      ['startRead', () => client.startRead(cb)],
      ['stopRead', () => client.stopRead()],
      ['setBlocking', () => client.setBlocking(true)],
      ['fileno', () => client.fileno()],
      ['ref', () => client.ref()],
      ['unref', () => client.unref()],
      ['hasRef', () => client.hasRef()],
    ];
    const closing = client.close();
    expect(client.closing).toBe(true);
    const check = (): string[] =>
      calls.filter(([, fn]) => errorCode(capture(fn)) !== 'ERR_HANDLE_CLOSED').map(([name]) => name);
    expect(check(), 'methods not throwing ERR_HANDLE_CLOSED while closing').toEqual([]);
    await closing;
    expect(client.closed).toBe(true);
    expect(check(), 'methods not throwing ERR_HANDLE_CLOSED once closed').toEqual([]);
    expect([client.readable, client.writable, client.writeQueueSize, client.active]).toEqual([false, false, 0, false]);
    await tick();
    expect(callbacks).toEqual([]);
    // The Pipes made for the accept() calls above.
    for (const h of Loop.default().handles) if (h instanceof Pipe && h !== pair.peer && h !== pair.server) await h.close();
    await closeAll(pair.peer, pair.server);
  });
});

// ---------------------------------------------------------------------------------------------
// bad input

describe('Pipe: bad input (thrown synchronously, nothing done)', () => {
  it('constructor: loop and options', async () => {
    for (const loop of [null, {}, 1, 'loop']) expectError(() => new Pipe(loop as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const options of [null, 'x', 1, true]) expectError(() => new Pipe(undefined, options as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const ipc of [1, 'true', null]) expectError(() => new Pipe(undefined, { ipc } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    const closedLoop = new Loop();
    closedLoop.close();
    expectError(() => new Pipe(closedLoop), Error, 'ERR_LOOP_CLOSED');
    expect(Loop.default().handles.filter((h) => h instanceof Pipe)).toEqual([]);
    expect(binding.debugCounts().handles).toBe(0);
  });

  it('bind() and connect(): names of the wrong type or empty; connect callback not a function', async () => {
    const pipe = new Pipe();
    for (const name of [1, null, undefined, {}, Buffer.from('x')]) {
      expectError(() => pipe.bind(name as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectError(() => pipe.connect(name as never, () => {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    }
    expectError(() => pipe.bind(''), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectError(() => pipe.connect('', () => {}), TypeError, 'ERR_INVALID_ARG_VALUE');
    const name = abstractName();
    const server = new Pipe();
    server.bind(name);
    let connections = 0;
    server.listen(() => connections++);
    for (const cb of [1, 'cb', null, {}]) expectError(() => pipe.connect(name, cb as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (let i = 0; i < 5; i++) await tick();
    expect(connections).toBe(0);
    // Still unbound and unconnected.
    expectUVError(() => pipe.getsockname(), 'EBADF', 'getsockname');
    await closeAll(pipe, server);
  });

  it('open(): fds of the wrong type or out of range', async () => {
    const pipe = new Pipe();
    for (const fd of [-1, 1.5, 2 ** 31, Number.NaN]) expectError(() => pipe.open(fd), RangeError, 'ERR_OUT_OF_RANGE');
    for (const fd of ['3', null, undefined, 3n]) expectError(() => pipe.open(fd as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectUVError(() => pipe.fileno(), 'EBADF', 'uv_fileno');
    await pipe.close();
  });

  it('write(), tryWrite(), shutdown(), listen(), startRead(), reader(), setBlocking(), accept(), close(): wrong types and ranges', async () => {
    await withPair(abstractName(), async ({ client, peer, server }) => {
      const got: string[] = [];
      peer.startRead((err, data) => {
        if (err === null && data !== null) got.push(data.toString('latin1'));
      });
      for (const data of [1, null, undefined, {}, [1], ['ok', 2], new Uint16Array(2)]) {
        expectError(() => client.write(data as never, () => {}), TypeError, 'ERR_INVALID_ARG_TYPE');
        expectError(() => client.tryWrite(data as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      }
      expectError(() => client.write([], () => {}), TypeError, 'ERR_INVALID_ARG_VALUE');
      for (const cb of [1, 'cb', null, {}]) {
        expectError(() => client.write('no', cb as never), TypeError, 'ERR_INVALID_ARG_TYPE');
        expectError(() => client.shutdown(cb as never), TypeError, 'ERR_INVALID_ARG_TYPE');
        expectError(() => server.listen(cb as never), TypeError, 'ERR_INVALID_ARG_TYPE');
        expectError(() => client.startRead(cb as never), TypeError, 'ERR_INVALID_ARG_TYPE');
        expectError(() => client.close(cb as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      }
      for (const backlog of [-1, 1.5, 2 ** 31]) expectError(() => server.listen(() => {}, backlog), RangeError, 'ERR_OUT_OF_RANGE');
      expectError(() => client.startRead(() => {}, { buffer: 1 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectError(() => client.startRead(() => {}, null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectError(() => client.reader({ highWaterMark: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
      for (const blocking of [1, 'yes', null]) expectError(() => client.setBlocking(blocking as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      for (const target of [null, {}, 1, new Timer()]) expectError(() => server.accept(target as never), TypeError, 'ERR_INVALID_ARG_TYPE');
      for (const h of Loop.default().handles) if (h instanceof Timer) await h.close();
      expect(client.closing).toBe(false);
      expect(client.writable).toBe(true);
      // None of the refused writes went out: the next bytes are the first the peer sees.
      await client.write('first');
      await client.shutdown();
      await eventually(() => got.length > 0, 'a read');
      await tick();
      expect(got.join('')).toBe('first');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// private loop

describe('Pipe on a private loop (loop.run())', () => {
  it('echo over a path-bound pipe, names, then shutdown/EOF on both sides; run() returns false when all is closed', () => {
    const loop = new Loop();
    const name = socketPath();
    const pair = pairOn(loop, name);
    const { client, peer, server } = pair;
    expect(server.getsockname()).toBe(name);
    expect(client.getpeername()).toBe(name);
    expect(peer.getsockname()).toBe(name);
    const serverGot: string[] = [];
    const clientGot: Array<string | null> = [];
    const events: string[] = [];
    peer.startRead((err, data) => {
      if (err !== null) return void events.push(`peer error ${err.code}`);
      if (data === null) {
        serverGot.push('<EOF>');
        peer.shutdown((e) => events.push(`peer shutdown ${String(codeOrNull(e))}`));
        return;
      }
      serverGot.push(data.toString('latin1'));
      peer.write(Buffer.concat([Buffer.from('echo:'), data]), (e) => events.push(`peer write ${String(codeOrNull(e))}`));
    });
    client.startRead((err, data) => {
      if (err !== null) return void events.push(`client error ${err.code}`);
      clientGot.push(data === null ? null : data.toString('latin1'));
      if (data === null) {
        client.close();
        peer.close();
        server.close();
      }
    });
    client.write('PING', (e) => {
      events.push(`client write ${String(codeOrNull(e))}`);
      client.shutdown((e2) => events.push(`client shutdown ${String(codeOrNull(e2))}`));
    });
    runToEnd(loop);
    expect(serverGot).toEqual(['PING', '<EOF>']);
    expect(clientGot).toEqual(['echo:PING', null]);
    expect(events.sort()).toEqual(['client shutdown null', 'client write null', 'peer shutdown null', 'peer write null']);
    expect(loop.run()).toBe(false);
    expect(loop.handles).toEqual([]);
    loop.close();
  });

  it('an abstract name with NUL bytes in the data; 12 chunks in one write', () => {
    const loop = new Loop();
    const { client, peer, server } = pairOn(loop, abstractName());
    const chunks = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? Buffer.from([i, 0, 0, i]) : `\0s${i}\0`));
    const expected = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    const received: Buffer[] = [];
    let eof = 0;
    peer.startRead((err, data) => {
      if (err !== null) return;
      if (data === null) {
        eof++;
        peer.close();
        return;
      }
      received.push(Buffer.from(data));
    });
    const results: unknown[] = [];
    client.write(chunks, (e) => results.push(codeOrNull(e)));
    client.shutdown((e) => {
      results.push(codeOrNull(e));
      client.close();
      server.close();
    });
    runToEnd(loop);
    expectBytes(Buffer.concat(received), expected);
    expect(eof).toBe(1);
    expect(results).toEqual([null, null]);
    loop.close();
  });

  it('connect to a missing path: ENOENT in the callback, once, inside run()', () => {
    const loop = new Loop();
    const missing = path.join(dir, 'missing-private.sock');
    const client = new Pipe(loop);
    const results: unknown[] = [];
    client.connect(missing, (err) => {
      results.push(err);
      client.close();
    });
    runToEnd(loop);
    expect(results.length).toBe(1);
    expect(errorCode(results[0])).toBe('ENOENT');
    expect((results[0] as UVError).syscall).toBe('connect');
    expect((results[0] as UVError).address).toBe(missing);
    loop.close();
  });

  it('closing with 1024 queued writes: every callback once, ECANCELED, all before the close callback', () => {
    const loop = new Loop();
    const { client, peer, server } = pairOn(loop, socketPath());
    expect(fill(client)).toBeGreaterThan(0);
    const calls = new Array<number>(1024).fill(0);
    const codes = new Set<unknown>();
    const order: string[] = [];
    for (let i = 0; i < 1024; i++) {
      client.write(Buffer.alloc(256, i & 0xff), (err) => {
        calls[i] = (calls[i] ?? 0) + 1;
        codes.add(codeOrNull(err));
        order.push('w');
      });
    }
    client.close(() => order.push('close'));
    peer.close();
    server.close();
    runToEnd(loop);
    expect(calls.filter((c) => c !== 1)).toEqual([]);
    expect(codes).toEqual(new Set(['ECANCELED']));
    expect(order.length).toBe(1025);
    expect(order.indexOf('close')).toBe(1024);
    loop.close();
  });

  it('IPC: a TCP handle passed between two pipes of the private loop arrives with the same address', () => {
    const loop = new Loop();
    const { client, peer, server } = pairOn(loop, abstractName(), true);
    const tcp = new TCP(loop);
    tcp.bind({ address: '127.0.0.1', port: 0 });
    const reads: Array<[string, number]> = [];
    let received: TCP | undefined;
    peer.startRead((err, data) => {
      if (err !== null || data === null) return;
      reads.push([data.toString('latin1'), peer.pendingHandleType()]);
      if (peer.pendingHandleType() === HT.TCP) {
        received = new TCP(loop);
        peer.accept(received);
      }
    });
    const results: unknown[] = [];
    client.write('handle', (err) => results.push(codeOrNull(err)), tcp);
    runUntil(loop, () => received !== undefined && results.length === 1, 'the handle arrives');
    expect(reads).toEqual([['handle', HT.TCP]]);
    expect(results).toEqual([null]);
    expect((received as TCP).getsockname()).toEqual(tcp.getsockname());
    for (const h of [client, peer, server, tcp, received as TCP]) h.close();
    runToEnd(loop);
    loop.close();
  });
});
