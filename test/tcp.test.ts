// TCP streams (API.md "Streams", DESIGN.md "Lifetime" and "Errors"), over loopback only (127.0.0.1
// and ::1, ports always from bind(port 0) + getsockname()):
// - data: echo, shutdown/EOF, NUL bytes, vectored writes, UTF-8 strings, subarray offsets, empty
//   writes, writes queued while connecting, tryWrite (and a retry loop), startRead({ buffer }),
//   reader() (EOF, break, highWaterMark, read errors);
// - volume: 10,000 queued writes in order, one 128 MiB write, 1,000 concurrent echo connections;
// - errors: connection refused, write/shutdown/read before connect, peer reset (closeReset());
// - sockets: options on unconnected and connected handles, fileno(), family, bind with ipv6Only,
//   getsockname()/getpeername();
// - lifetime: every write/shutdown/connect callback fires exactly once (ECANCELED when the handle
//   closed first, before the close callback), close inside read/write/connect/connection callbacks,
//   close twice, every method after close throws ERR_HANDLE_CLOSED, accept() argument checks;
// - bad input to every TCP method and the constructor;
// - a subset of the behaviour again on a private loop, driven by loop.run().
//
// Callbacks on Node's loop only record what happened; the assertions run afterwards in the test
// body (an assertion failing inside a uvkit callback would become an uncaught exception).
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, openSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Check, errors, Idle, Loop, TCP, Timer, UVError } from '../src/ts/index.js';
import { capture, codeOrNull, errorCode, expectBytes, expectError, expectUVError, NO_THROW, tick, within, type ErrorClass } from './helpers/assert.js';
import { runToEnd, runUntil, until } from './helpers/loop.js';

// ---------------------------------------------------------------------------------------------
// helpers

const V4 = '127.0.0.1';
const V6 = '::1';

interface Pair {
  server: TCP;
  client: TCP;
  peer: TCP;
  port: number;
}

/** `length` deterministic pseudo-random bytes; different seeds give different bytes. */
function pattern(length: number, seed = 0): Buffer {
  const block = Buffer.alloc(Math.min(length, 65_521)); // a prime: the repetition never aligns
  let x = (Math.imul(seed + 1, 2_654_435_761) ^ 0x5bd1e995) >>> 0;
  for (let i = 0; i < block.length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    block[i] = x >>> 24;
  }
  return length <= block.length ? block : Buffer.allocUnsafe(length).fill(block);
}

/** A TCP bound to loopback port 0 (not listening) and the port it got. */
function boundServer(loop?: Loop, address = V4): { server: TCP; port: number } {
  const server = new TCP(loop);
  server.bind({ address, port: 0 });
  return { server, port: server.getsockname().port };
}

/** Listens on loopback; each connection is accepted into a new TCP handed to `onPeer`. */
function listenOn(loop: Loop | undefined, onPeer: (peer: TCP) => void, address = V4, backlog?: number): { server: TCP; port: number } {
  const { server, port } = boundServer(loop, address);
  server.listen((err) => {
    if (err !== null) throw err;
    const peer = new TCP(loop);
    server.accept(peer);
    onPeer(peer);
  }, backlog);
  return { server, port };
}

/** On Loop.default(): a listening server, a connected client and the server's accepted peer. */
async function connectPair(address = V4): Promise<Pair> {
  let onPeer!: (peer: TCP) => void;
  const accepted = new Promise<TCP>((resolve) => (onPeer = resolve));
  const { server, port } = listenOn(undefined, onPeer, address);
  const client = new TCP();
  await client.connect({ address, port });
  const peer = await accepted;
  return { server, client, peer, port };
}

/** Closes the handles and waits for their close callbacks. */
async function closeAll(...handles: Array<{ close(): Promise<void> }>): Promise<void> {
  await Promise.all(handles.map((h) => h.close()));
}

async function closePair(pair: Pair): Promise<void> {
  await closeAll(pair.client, pair.peer, pair.server);
}

/** Runs `body` with a fresh pair (connectPair()) and closes the pair afterwards, even when it fails. */
async function withPair(body: (pair: Pair) => Promise<void>, address = V4): Promise<void> {
  const pair = await connectPair(address);
  try {
    await body(pair);
  } finally {
    await closePair(pair);
  }
}

/** Reads until EOF and resolves with every byte; rejects with a read error. */
function readToEnd(stream: TCP): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.startRead((err, data) => {
      if (err !== null) reject(err);
      else if (data === null) resolve(Buffer.concat(chunks));
      else chunks.push(data);
    });
  });
}

/** Resolves with the first chunk read (copied). */
function readOnce(stream: TCP): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    stream.startRead((err, data) => {
      stream.stopRead();
      if (data !== null) resolve(Buffer.from(data));
      else reject(err ?? new Error('EOF before any data'));
    });
  });
}

/** On a private loop: a listening server, a connected client and the accepted peer. */
function pairOn(loop: Loop, address = V4): Pair {
  let peer: TCP | undefined;
  let connectError: unknown;
  const { server, port } = listenOn(loop, (p) => (peer = p), address);
  const client = new TCP(loop);
  client.connect({ address, port }, (err) => (connectError = err));
  runUntil(loop, () => peer !== undefined && connectError !== undefined, 'connect + accept');
  expect(connectError).toBeNull();
  return { server, client, peer: peer as TCP, port };
}

// ---------------------------------------------------------------------------------------------
// data on Node's loop

describe('TCP on Loop.default(): data', () => {
  it('echo: the client writes PING, the server answers PONG', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const serverGot: string[] = [];
    const serverErrors: unknown[] = [];
    peer.startRead((err, data) => {
      if (err !== null) serverErrors.push(err);
      if (data === null) return;
      serverGot.push(data.toString('latin1'));
      if (data.toString('latin1') === 'PING') peer.write('PONG', (e) => e && serverErrors.push(e));
    });
    const reply = readOnce(client);
    await expect(client.write('PING')).resolves.toBeUndefined();
    expect((await reply).toString('latin1')).toBe('PONG');
    expect(serverGot).toEqual(['PING']);
    expect(serverErrors).toEqual([]);
    await closePair(pair);
  });

  it('shutdown: the peer reads the bytes, then EOF (data === null, err === null) exactly once; it can still write back', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const events: Array<[unknown, string | null]> = [];
    const eof = new Promise<void>((resolve) => {
      peer.startRead((err, data) => {
        events.push([codeOrNull(err), data === null ? null : data.toString('latin1')]);
        if (data === null) resolve();
      });
    });
    let shutdownCalls = 0;
    let shutdownError: unknown = 'not called';
    client.write('bye');
    const shutDown = new Promise<void>((resolve) => {
      client.shutdown((err) => {
        shutdownCalls++;
        shutdownError = err;
        resolve();
      });
    });
    await Promise.all([eof, shutDown]);
    expect(client.writable).toBe(false);
    // Half-close: the other direction still works.
    const back = readToEnd(client);
    await peer.write('still here');
    await peer.shutdown();
    expect((await back).toString('latin1')).toBe('still here');
    await tick();
    expect(events).toEqual([
      [null, 'bye'],
      [null, null],
    ]);
    expect(shutdownCalls).toBe(1);
    expect(shutdownError).toBeNull();
    await closePair(pair);
  });

  it('NUL bytes (in buffers and strings) arrive intact', async () => {
    const pair = await connectPair();
    const bytes = Buffer.from([0, 0, 1, 0, 255, 0, 0, 0]);
    const text = 'a\0b\0\0c';
    const received = readToEnd(pair.peer);
    pair.client.write(bytes);
    pair.client.write(text);
    pair.client.write([Buffer.alloc(5), '\0']);
    await pair.client.shutdown();
    const got = await received;
    expect(got).toEqual(Buffer.concat([bytes, Buffer.from(text, 'utf8'), Buffer.alloc(6)]));
    expect(got.length).toBe(8 + 6 + 6);
    await closePair(pair);
  });

  it('a list of 12 chunks written as one write() arrives concatenated, with one callback', async () => {
    const pair = await connectPair();
    const chunks: Array<Uint8Array | string> = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? `chunk-${i};` : i % 3 === 1 ? Buffer.alloc(i, 0x40 + i) : new Uint8Array([i, 0, i]),
    );
    const expected = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    const received = readToEnd(pair.peer);
    const results: unknown[] = [];
    await new Promise<void>((resolve) => {
      pair.client.write(chunks, (err) => {
        results.push(err);
        resolve();
      });
    });
    await pair.client.shutdown();
    expect(await received).toEqual(expected);
    expect(results).toEqual([null]);
    await closePair(pair);
  });

  it('strings are written as UTF-8', async () => {
    const pair = await connectPair();
    const text = 'héllo wörld € 😀 日本語';
    const received = readToEnd(pair.peer);
    await pair.client.write(text);
    await pair.client.write(['ß', 'ü']);
    await pair.client.shutdown();
    const got = await received;
    expect(got).toEqual(Buffer.from(`${text}ßü`, 'utf8'));
    expect(got.length).toBe(Buffer.byteLength(text, 'utf8') + 4);
    expect(got.toString('utf8')).toBe(`${text}ßü`);
    await closePair(pair);
  });

  it('write() sends exactly the bytes of a Uint8Array subarray (byteOffset honoured)', async () => {
    const pair = await connectPair();
    const backing = new Uint8Array(256).map((_, i) => i);
    const pooled = Buffer.from('pooled'); // a slice of Node's shared pool: byteOffset is usually > 0
    const received = readToEnd(pair.peer);
    await pair.client.write(backing.subarray(10, 20));
    await pair.client.write([backing.subarray(100, 103), backing.subarray(0, 1), new Uint8Array(backing.buffer, 250, 6)]);
    await pair.client.write(pooled);
    await pair.client.shutdown();
    expect(await received).toEqual(
      Buffer.from([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100, 101, 102, 0, 250, 251, 252, 253, 254, 255, ...Buffer.from('pooled')]),
    );
    await closePair(pair);
  });

  it('empty writes (empty Uint8Array, empty string) complete with success and send nothing', async () => {
    const pair = await connectPair();
    const received = readToEnd(pair.peer);
    const results: unknown[] = [];
    await new Promise<void>((resolve) => pair.client.write(new Uint8Array(0), (err) => (results.push(err), resolve())));
    await new Promise<void>((resolve) => pair.client.write('', (err) => (results.push(err), resolve())));
    await pair.client.write('x');
    await pair.client.shutdown();
    expect((await received).toString()).toBe('x');
    expect(results).toEqual([null, null]);
    await closePair(pair);
  });

  it('a write made while connect() is pending is queued and delivered after the connect callback', async () => {
    let onPeer!: (peer: TCP) => void;
    const accepted = new Promise<TCP>((resolve) => (onPeer = resolve));
    let peerData: Promise<Buffer> | undefined;
    const { server, port } = listenOn(undefined, (p) => {
      peerData = readToEnd(p);
      onPeer(p);
    });
    const client = new TCP();
    const events: string[] = [];
    const finished = new Promise<void>((resolve) => {
      client.connect({ address: V4, port }, (err) => events.push(`connect ${String(codeOrNull(err))}`));
      client.write('early', (err) => events.push(`write ${String(codeOrNull(err))}`));
      client.shutdown((err) => {
        events.push(`shutdown ${String(codeOrNull(err))}`);
        resolve();
      });
    });
    const peer = await accepted;
    await finished;
    expect((await peerData!).toString()).toBe('early');
    expect(events).toEqual(['connect null', 'write null', 'shutdown null']);
    await closeAll(server, client, peer);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): write() and tryWrite() argument checks', () => {
  const BAD_DATA: Array<[string, unknown, ErrorClass, string]> = [
    ['a number', 42, TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an object', { length: 1 }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['null', null, TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['undefined', undefined, TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an array holding a number', [1], TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an array with a valid item then a number', [Buffer.from('ok'), 1], TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an array holding null', ['a', null], TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an empty array', [], TypeError, 'ERR_INVALID_ARG_VALUE'],
    ['a Uint16Array', new Uint16Array(2), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['a DataView', new DataView(new ArrayBuffer(2)), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['an ArrayBuffer', new ArrayBuffer(4), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['a symbol', Symbol('x'), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ];

  it('invalid data throws synchronously, calls no callback, sends nothing; the connection still works and then sees EOF', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const received = readToEnd(peer);
    let callbacks = 0;
    const cb = (): void => {
      callbacks++;
    };
    for (const [, data, cls, code] of BAD_DATA) {
      expectError(() => client.write(data as never, cb), cls, code);
      expectError(() => client.write(data as never), cls, code); // throws, does not return a rejected promise
      expectError(() => client.tryWrite(data as never), cls, code);
    }
    // A valid write with an invalid callback is refused before anything is sent.
    expectError(() => client.write('lost', 42 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => client.write('lost', null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(client.writeQueueSize).toBe(0);
    await client.write('ok');
    await client.shutdown();
    expect((await received).toString()).toBe('ok');
    await tick();
    expect(callbacks).toBe(0);
    await closePair(pair);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): tryWrite()', () => {
  it('returns the number of bytes written at once', async () => {
    const pair = await connectPair();
    const received = readToEnd(pair.peer);
    expect(pair.client.tryWrite('hello')).toBe(5);
    expect(pair.client.tryWrite([Buffer.from('ab'), 'cd', new Uint8Array([0])])).toBe(5);
    expect(pair.client.tryWrite('€')).toBe(3);
    await pair.client.shutdown();
    expect(await received).toEqual(Buffer.from('helloabcd\0€'));
    await closePair(pair);
  });

  it('returns 0 (and writes nothing) while write() requests are queued', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const big = pattern(32 << 20, 1); // far more than loopback socket buffers hold: the peer is not reading
    const writeResults: unknown[] = [];
    client.write(big, (err) => writeResults.push(err));
    expect(client.writeQueueSize).toBeGreaterThan(0);
    expect(client.tryWrite('x')).toBe(0);
    expect(client.tryWrite([Buffer.from('yz')])).toBe(0);
    const received = readToEnd(peer);
    await client.shutdown();
    expectBytes(await received, big);
    expect(writeResults).toEqual([null]);
    await closePair(pair);
  });

  it('a tryWrite() retry loop (setImmediate between tries) delivers every byte of 16 MiB', async () => {
    const pair = await connectPair();
    const big = pattern(16 << 20, 2);
    const received = readToEnd(pair.peer);
    let offset = 0;
    let tries = 0;
    const bad: number[] = [];
    while (offset < big.length) {
      const n = pair.client.tryWrite(big.subarray(offset));
      tries++;
      if (!Number.isInteger(n) || n < 0 || n > big.length - offset) bad.push(n);
      offset += n;
      if (offset < big.length) await tick();
    }
    expect(bad).toEqual([]);
    expect(offset).toBe(big.length);
    await pair.client.shutdown();
    expectBytes(await received, big);
    expect(tries).toBeGreaterThanOrEqual(1);
    await closePair(pair);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): connect errors and calls before connect', () => {
  it.each([V4, V6])('connection refused (%s) reaches the connect callback once: ECONNREFUSED, syscall, address, port', async (address) => {
    const { server: unlistened, port } = boundServer(undefined, address); // bound, never listening
    const client = new TCP();
    const results: unknown[] = [];
    await new Promise<void>((resolve) => {
      client.connect({ address, port }, (err) => {
        results.push(err);
        resolve();
      });
    });
    await tick();
    expect(results).toHaveLength(1);
    const err = results[0] as UVError;
    expect(err).toBeInstanceOf(UVError);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.errno).toBe(errors.codes.ECONNREFUSED);
    expect(err.syscall).toBe('connect');
    expect(err.address).toBe(address);
    expect(err.port).toBe(port);
    expect(err.message).toBe(`connect ECONNREFUSED ${address}:${port}`);

    // The promise form rejects with the same kind of error.
    const again = new TCP();
    const rejection = await again.connect({ address, port }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(rejection).toBeInstanceOf(UVError);
    expect(rejection).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address, port });
    await closeAll(client, again, unlistened);
  });

  it('write() before connect throws a UVError EBADF (no socket yet); EPIPE on a socket that exists but is unconnected', async () => {
    const noSocket = new TCP();
    let callbacks = 0;
    const cb = (): void => {
      callbacks++;
    };
    expectUVError(() => noSocket.write('x', cb), 'EBADF', 'write');
    expectUVError(() => noSocket.write('x'), 'EBADF', 'write');
    expectUVError(() => noSocket.tryWrite('x'), 'EBADF', 'write');
    expectUVError(() => noSocket.shutdown(cb), 'ENOTCONN', 'shutdown');
    expectUVError(() => noSocket.startRead(cb), 'ENOTCONN', 'read');
    expectUVError(() => noSocket.getpeername(), 'EBADF', 'getpeername');
    expectUVError(() => noSocket.getsockname(), 'EBADF', 'getsockname');
    expect(noSocket.writeQueueSize).toBe(0);
    expect(noSocket.active).toBe(false);

    const unconnected = new TCP(undefined, { family: 'IPv4' });
    expectUVError(() => unconnected.write('x', cb), 'EPIPE', 'write');
    expectUVError(() => unconnected.tryWrite('x'), 'EPIPE', 'write');
    expectUVError(() => unconnected.shutdown(cb), 'ENOTCONN', 'shutdown');
    expectUVError(() => unconnected.getpeername(), 'ENOTCONN', 'getpeername');
    const { server: bound } = boundServer();
    expectUVError(() => bound.write('x', cb), 'EPIPE', 'write');
    await tick();
    expect(callbacks).toBe(0);
    await closeAll(noSocket, unconnected, bound);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): write() after shutdown()', () => {
  it('throws EPIPE synchronously, also when another write went out in the same tick; the peer gets only the earlier bytes', async () => {
    const pair = await connectPair();
    const { client } = pair;
    try {
      const received = readToEnd(pair.peer);
      const lateCallbacks: unknown[] = [];
      client.write('before');
      const shutDown = client.shutdown().then(
        () => null,
        (e: unknown) => e,
      );
      const sameTick = capture(() => client.write('same tick', (err) => lateCallbacks.push(codeOrNull(err))));
      expect(await shutDown).toBeNull();
      expectUVError(() => client.write('later', (err) => lateCallbacks.push(codeOrNull(err))), 'EPIPE', 'write');
      expectUVError(() => client.tryWrite('later'), 'EPIPE', 'write');
      // A second shutdown is refused too.
      expectUVError(() => client.shutdown(() => lateCallbacks.push('shutdown')), 'ENOTCONN', 'shutdown');
      expect((await received).toString()).toBe('before');
      await tick();
      expect(lateCallbacks).toEqual([]);
      expect(errorCode(sameTick)).toBe('EPIPE');
      expect(sameTick).toBeInstanceOf(UVError);
    } finally {
      await closePair(pair);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): socket options, fileno(), family, addresses', () => {
  it('nodelay/keepalive/simultaneousAccepts succeed on a handle without a socket (and create none)', async () => {
    const tcp = new TCP();
    expect(tcp.nodelay(true)).toBeUndefined();
    expect(tcp.nodelay(false)).toBeUndefined();
    expect(tcp.keepalive(true, 10)).toBeUndefined();
    expect(tcp.keepalive(false)).toBeUndefined();
    expect(tcp.simultaneousAccepts(true)).toBeUndefined();
    expect(tcp.simultaneousAccepts(false)).toBeUndefined();
    // Enabling keepalive needs a delay, of at least 1 s.
    expectError(() => tcp.keepalive(true), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => tcp.keepalive(true, 0), RangeError, 'ERR_OUT_OF_RANGE');
    expectUVError(() => tcp.family, 'EBADF', 'getsockname');
    expectUVError(() => tcp.fileno(), 'EBADF', 'uv_fileno');
    await tcp.close();
  });

  it('options and buffer sizes on a connected socket', async () => {
    const pair = await connectPair();
    const { client } = pair;
    expect(client.nodelay(true)).toBeUndefined();
    expect(client.keepalive(true, 60)).toBeUndefined();
    expect(client.keepalive(false)).toBeUndefined();
    expect(client.simultaneousAccepts(true)).toBeUndefined();
    expect(Number.isInteger(client.sendBufferSize) && client.sendBufferSize > 0).toBe(true);
    expect(Number.isInteger(client.recvBufferSize) && client.recvBufferSize > 0).toBe(true);
    client.sendBufferSize = 65_536;
    client.recvBufferSize = 65_536;
    // Linux doubles what is set (the kernel's bookkeeping overhead); elsewhere it is kept.
    const expected = process.platform === 'linux' ? 131_072 : 65_536;
    expect(client.sendBufferSize).toBe(expected);
    expect(client.recvBufferSize).toBe(expected);
    // Still a working connection.
    const received = readToEnd(pair.peer);
    await client.write('after options');
    await client.shutdown();
    expect((await received).toString()).toBe('after options');
    await closePair(pair);
  });

  it('fileno() of the server, the client and the accepted peer are distinct non-negative integers', async () => {
    const pair = await connectPair();
    const fds = [pair.server.fileno(), pair.client.fileno(), pair.peer.fileno()];
    for (const fd of fds) {
      expect(Number.isInteger(fd)).toBe(true);
      expect(fd).toBeGreaterThanOrEqual(0);
    }
    expect(new Set(fds).size).toBe(3);
    await closePair(pair);
  });

  it("family: EBADF without a socket; 'IPv4'/'IPv6' from the constructor option, bind or connect", async () => {
    const none = new TCP();
    expectUVError(() => none.family, 'EBADF', 'getsockname');
    const six = new TCP(undefined, { family: 'IPv6' });
    const four = new TCP(undefined, { family: 'IPv4' });
    expect(six.family).toBe('IPv6');
    expect(four.family).toBe('IPv4');
    expect(six.fileno()).toBeGreaterThanOrEqual(0); // the socket exists already
    const { server: b4 } = boundServer(undefined, V4);
    const { server: b6 } = boundServer(undefined, V6);
    expect(b4.family).toBe('IPv4');
    expect(b6.family).toBe('IPv6');
    const pair4 = await connectPair(V4);
    const pair6 = await connectPair(V6);
    expect([pair4.client.family, pair4.peer.family]).toEqual(['IPv4', 'IPv4']);
    expect([pair6.client.family, pair6.peer.family]).toEqual(['IPv6', 'IPv6']);
    await closeAll(none, six, four, b4, b6);
    await closePair(pair4);
    await closePair(pair6);
  });

  it('early-bind family mismatch: IPv4 address on an IPv6 socket (and the reverse) fails with a UVError; the socket stays usable', async () => {
    const six = new TCP(undefined, { family: 'IPv6' });
    expectUVError(() => six.bind({ address: V4, port: 0 }), 'EINVAL', 'bind');
    expect(six.family).toBe('IPv6');
    six.bind({ address: V6, port: 0 });
    expect(six.getsockname()).toMatchObject({ address: V6, family: 'IPv6' });

    const four = new TCP(undefined, { family: 'IPv4' });
    // Linux: setting IPV6_V6ONLY on an IPv4 socket gives ENOPROTOOPT.
    expectUVError(() => four.bind({ address: V6, port: 0 }), process.platform === 'linux' ? 'ENOPROTOOPT' : 'EINVAL', 'bind');
    expect(four.family).toBe('IPv4');
    four.bind({ address: V4, port: 0 });
    expect(four.getsockname()).toMatchObject({ address: V4, family: 'IPv4' });
    await closeAll(six, four);
  });

  it('bind { ipv6Only: true } on ::1 works and serves an IPv6 client; ipv6Only with an IPv4 address is EINVAL', async () => {
    const server = new TCP();
    server.bind({ address: V6, port: 0 }, { ipv6Only: true });
    const name = server.getsockname();
    expect(name).toEqual({ address: V6, family: 'IPv6', port: name.port });
    expect(name.port).toBeGreaterThan(0);
    let peer: TCP | undefined;
    const accepted = new Promise<void>((resolve) => {
      server.listen(() => {
        peer = new TCP();
        server.accept(peer);
        resolve();
      });
    });
    const client = new TCP();
    await client.connect({ address: V6, port: name.port });
    await accepted;
    const received = readToEnd(peer as TCP);
    await client.write('v6');
    await client.shutdown();
    expect((await received).toString()).toBe('v6');

    const v4 = new TCP();
    expectUVError(() => v4.bind({ address: V4, port: 0 }, { ipv6Only: true }), 'EINVAL', 'bind');
    await closeAll(server, client, peer as TCP, v4);
  });

  it.each([
    [V4, 'IPv4'],
    [V6, 'IPv6'],
  ] as const)('getsockname()/getpeername() on %s are { address, family, port }', async (address, family) => {
    const pair = await connectPair(address);
    const { server, client, peer, port } = pair;
    expect(server.getsockname()).toEqual({ address, family, port });
    expect(Object.keys(server.getsockname()).sort()).toEqual(['address', 'family', 'port']);
    expect(client.getpeername()).toEqual({ address, family, port });
    expect(peer.getsockname()).toEqual({ address, family, port });
    const clientName = client.getsockname();
    expect(clientName).toEqual({ address, family, port: clientName.port });
    expect(clientName.port).toBeGreaterThan(0);
    expect(clientName.port).not.toBe(port);
    expect(peer.getpeername()).toEqual(clientName);
    expectUVError(() => server.getpeername(), 'ENOTCONN', 'getpeername');
    await closePair(pair);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): startRead({ buffer })', () => {
  it('data is a view of the given buffer (same ArrayBuffer, same offset) holding the bytes read', async () => {
    const pair = await connectPair();
    const backing = new Uint8Array(256);
    const view = backing.subarray(32, 96);
    const seen: Array<{ sameBuffer: boolean; byteOffset: number; length: number; isBuffer: boolean; text: string; inBacking: string }> = [];
    const got = new Promise<void>((resolve) => {
      pair.peer.startRead(
        (err, data) => {
          if (data === null) return;
          seen.push({
            sameBuffer: data.buffer === backing.buffer,
            byteOffset: data.byteOffset,
            length: data.length,
            isBuffer: Buffer.isBuffer(data),
            text: data.toString('latin1'),
            inBacking: Buffer.from(backing.subarray(32, 32 + data.length)).toString('latin1'),
          });
          resolve();
        },
        { buffer: view },
      );
    });
    await pair.client.write('hello');
    await got;
    expect(seen).toEqual([{ sameBuffer: true, byteOffset: 32, length: 5, isBuffer: true, text: 'hello', inBacking: 'hello' }]);
    expect(Buffer.from(backing.subarray(0, 32))).toEqual(Buffer.alloc(32)); // nothing written before the view
    await closePair(pair);
  });

  it('more data than the buffer holds arrives in chunks of at most its size, all in it, byte-exact', async () => {
    const pair = await connectPair();
    const backing = new Uint8Array(128);
    const view = backing.subarray(16, 80); // 64 bytes
    const payload = pattern(5000, 3);
    const copies: Buffer[] = [];
    const problems: string[] = [];
    const done = new Promise<void>((resolve) => {
      pair.peer.startRead(
        (err, data) => {
          if (err !== null) problems.push(`error ${err.code}`);
          if (data === null) return resolve();
          if (data.buffer !== backing.buffer || data.byteOffset !== 16 || data.length > 64) {
            problems.push(`chunk at ${data.byteOffset} of ${data.length}`);
          }
          copies.push(Buffer.from(data)); // the view is only valid during the callback
        },
        { buffer: view },
      );
    });
    await pair.client.write(payload);
    await pair.client.shutdown();
    await done;
    expect(problems).toEqual([]);
    expect(copies.length).toBeGreaterThanOrEqual(Math.ceil(5000 / 64));
    expectBytes(Buffer.concat(copies), payload);
    await closePair(pair);
  });

  it('a zero-length buffer is refused by startRead() before reading starts', async () => {
    const pair = await connectPair();
    const events: unknown[] = [];
    expectError(() => pair.peer.startRead((err, data) => events.push([err, data]), { buffer: new Uint8Array(0) }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expect(pair.peer.active).toBe(false);
    await pair.client.write('x');
    await tick();
    expect(events).toEqual([]);
    await closePair(pair);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): reader()', () => {
  it('async iteration yields all data and ends at EOF', async () => {
    const pair = await connectPair();
    const payload = pattern(1 << 20, 4);
    const writing = (async () => {
      for (let i = 0; i < 4; i++) await pair.client.write(payload.subarray(i << 18, (i + 1) << 18));
      await pair.client.shutdown();
    })();
    const chunks: Buffer[] = [];
    const reader = pair.peer.reader();
    for await (const chunk of reader) chunks.push(chunk);
    await writing;
    expectBytes(Buffer.concat(chunks), payload);
    expect(chunks.length).toBeGreaterThan(1);
    expect(await reader.next()).toEqual({ value: undefined, done: true });
    await closePair(pair);
  });

  it('highWaterMark 1 (pausing after every chunk) still yields every byte in order', async () => {
    const pair = await connectPair();
    const payload = pattern(600_000, 5);
    const writing = pair.client.write(payload).then(() => pair.client.shutdown());
    const chunks: Buffer[] = [];
    for await (const chunk of pair.peer.reader({ highWaterMark: 1 })) {
      chunks.push(chunk);
      await tick(); // a slow consumer
    }
    await writing;
    expectBytes(Buffer.concat(chunks), payload);
    await closePair(pair);
  });

  it('break stops reading; the stream stays usable (writes, a new reader) and closable', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    await client.write('first');
    const firstChunks: string[] = [];
    for await (const chunk of peer.reader()) {
      firstChunks.push(chunk.toString());
      break;
    }
    expect(firstChunks).toEqual(['first']);
    expect(peer.active).toBe(false); // not reading any more
    const back = readOnce(client);
    await peer.write('reply');
    expect((await back).toString()).toBe('reply');
    await client.write('second');
    await client.shutdown();
    const rest: string[] = [];
    for await (const chunk of peer.reader()) rest.push(chunk.toString());
    expect(rest.join('')).toBe('second');
    await closePair(pair);
  });

  it('the iteration throws the read error when the peer resets (ECONNRESET)', async () => {
    const pair = await connectPair();
    const got: string[] = [];
    const iterate = (async () => {
      for await (const chunk of pair.client.reader()) got.push(chunk.toString());
      return 'ended';
    })().then(
      (v) => v,
      (e: unknown) => e,
    );
    await pair.peer.write('data');
    while (got.length === 0) await tick();
    await pair.peer.closeReset();
    const outcome = await iterate;
    expect(got).toEqual(['data']);
    expect(outcome).toBeInstanceOf(UVError);
    expect(outcome).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    await closeAll(pair.client, pair.server);
  });

  it('reader() on a closed stream ends at once', async () => {
    const tcp = new TCP();
    await tcp.close();
    const chunks: Buffer[] = [];
    await within(
      (async () => {
        for await (const chunk of tcp.reader()) chunks.push(chunk);
      })(),
      5000,
      'for await over reader() of a closed stream',
    );
    expect(chunks).toEqual([]);
  });

  it('closing the stream while a reader waits for data ends the iteration (it does not hang)', async () => {
    const pair = await connectPair();
    try {
      const reader = pair.peer.reader();
      const first = reader.next().then(
        (r) => ({ done: r.done }),
        (e: unknown) => ({ error: errorCode(e) }),
      );
      await tick();
      await pair.peer.close();
      const outcome = await within(first, 5000, 'reader.next() after the stream closed');
      expect(outcome).toEqual({ done: true });
    } finally {
      await closePair(pair);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): every request callback fires exactly once', () => {
  it('writes that go out at once inside a read callback call back once that callback returns (before its nextTicks), together, once each; outside one, from a nextTick', async () => {
    await withPair(async ({ client, peer }) => {
      const events: string[] = [];
      const replies = readToEnd(client);
      peer.startRead((err, data) => {
        if (err !== null || data === null) return;
        process.nextTick(() => events.push('tick from the read callback'));
        peer.write(Buffer.from(data), (e) => events.push(`write 1 ${String(codeOrNull(e))}`));
        peer.write('!', (e) => events.push(`write 2 ${String(codeOrNull(e))}`));
        events.push('read callback returns');
        if (!data.includes(0x2e)) return;
        peer.stopRead();
        peer.shutdown(() => events.push('shutdown'));
      });
      await client.write('ping.');
      await within(replies, 10_000, 'the echo');
      expect(events).toEqual(['read callback returns', 'write 1 null', 'write 2 null', 'tick from the read callback', 'shutdown']);
      // Outside a stream callback (here: a promise continuation) the callback comes from a nextTick.
      const outside: string[] = [];
      client.write('x', () => outside.push('write'));
      outside.push('after write()');
      await tick();
      expect(outside).toEqual(['after write()', 'write']);
    });
  });

  it('closing a client with 1024 queued 64 KiB writes: 1024 callbacks in order, ECANCELED for the cancelled, all before the close callback', async () => {
    // The peer never reads.
    await withPair(async (pair) => {
      const { client } = pair;
      const block = Buffer.alloc(64 * 1024, 0x61);
      const N = 1024;
      const results: unknown[] = [];
      const order: number[] = [];
      const wrongErrors: unknown[] = [];
      for (let i = 0; i < N; i++) {
        client.write(block, (err) => {
          order.push(i);
          results.push(codeOrNull(err));
          if (err !== null && (!(err instanceof UVError) || err.syscall !== 'write' || err.errno !== errors.codes.ECANCELED)) wrongErrors.push(err);
        });
      }
      expect(client.writeQueueSize).toBeGreaterThan(0);
      let callbacksAtClose = -1;
      let closeCalls = 0;
      await new Promise<void>((resolve) => {
        client.close(() => {
          closeCalls++;
          callbacksAtClose = order.length;
          resolve();
        });
      });
      for (let i = 0; i < 5; i++) await tick();
      expect(order.length).toBe(N);
      expect(order).toEqual([...Array(N).keys()]);
      expect(callbacksAtClose).toBe(N);
      expect(closeCalls).toBe(1);
      expect(wrongErrors).toEqual([]);
      const firstCancelled = results.indexOf('ECANCELED');
      expect(firstCancelled).toBeGreaterThan(-1);
      expect(results.slice(0, firstCancelled).every((r) => r === null)).toBe(true);
      expect(results.slice(firstCancelled).every((r) => r === 'ECANCELED')).toBe(true);
    });
  });

  it('write, write, close in one tick: both write callbacks run before the close callback', async () => {
    await withPair(async (pair) => {
      const events: unknown[] = [];
      pair.client.write('a', (err) => events.push(['a', codeOrNull(err)]));
      pair.client.write('b', (err) => events.push(['b', codeOrNull(err)]));
      await new Promise<void>((resolve) => pair.client.close(() => (events.push('closed'), resolve())));
      for (let i = 0; i < 3; i++) await tick();
      expect(events.map((e) => (Array.isArray(e) ? e[0] : e))).toEqual(['a', 'b', 'closed']);
      expect(events[0]).toEqual(['a', null]);
      expect([null, 'ECANCELED']).toContain((events[1] as unknown[])[1]); // sent or cancelled, but before 'closed'
    });
  });

  it('the promise forms of 1024 queued writes settle before close() resolves: fulfilled, then rejected with ECANCELED', async () => {
    await withPair(async (pair) => {
      const { client } = pair;
      const block = Buffer.alloc(64 * 1024, 0x62);
      const events: string[] = [];
      const settled = Array.from({ length: 1024 }, (_, i) =>
        client.write(block).then(
          () => {
            events.push(`ok ${i}`);
            return null;
          },
          (e: unknown) => {
            events.push(`rejected ${i}`);
            return e;
          },
        ),
      );
      await client.close().then(() => events.push('closed'));
      const outcomes = await Promise.all(settled);
      expect(events.length).toBe(1025);
      expect(events[1024]).toBe('closed');
      const rejected = outcomes.filter((o) => o !== null);
      expect(rejected.length).toBeGreaterThan(0);
      expect(outcomes.indexOf(rejected[0])).toBe(1024 - rejected.length); // the fulfilled ones come first
      for (const e of rejected) {
        expect(e).toBeInstanceOf(UVError);
        expect(e).toMatchObject({ code: 'ECANCELED', syscall: 'write' });
      }
    });
  });

  it('a pending connect is cancelled by close(): ECANCELED exactly once, before the close callback', async () => {
    const { server: unlistened, port } = boundServer();
    const client = new TCP();
    const events: unknown[] = [];
    client.connect({ address: V4, port }, (err) => events.push(err === null ? null : [(err as UVError).code, (err as UVError).syscall]));
    await new Promise<void>((resolve) => client.close(() => (events.push('closed'), resolve())));
    await tick();
    expect(events).toEqual([['ECANCELED', 'connect'], 'closed']);
    // The promise form rejects.
    const again = new TCP();
    const pending = again.connect({ address: V4, port }).then(
      () => 'resolved',
      (e: unknown) => errorCode(e),
    );
    await again.close();
    expect(await pending).toBe('ECANCELED');
    await unlistened.close();
  });

  it('close() with a write and a shutdown pending: write then shutdown callbacks, ECANCELED, once each, before the close callback', async () => {
    const pair = await connectPair();
    const { client } = pair;
    const events: unknown[] = [];
    client.write(pattern(32 << 20, 6), (err) => events.push(['write', codeOrNull(err)]));
    client.shutdown((err) => events.push(['shutdown', codeOrNull(err)]));
    await new Promise<void>((resolve) => client.close(() => (events.push('closed'), resolve())));
    await tick();
    expect(events).toEqual([['write', 'ECANCELED'], ['shutdown', 'ECANCELED'], 'closed']);
    await closeAll(pair.peer, pair.server);
  });

  it('close inside a write callback: later queued writes complete with ECANCELED, once each, before the close callback', async () => {
    const pair = await connectPair(); // the peer never reads
    const { client } = pair;
    const events: unknown[] = [];
    const closed = new Promise<void>((resolve) => {
      client.write('a', (err) => {
        events.push(['a', codeOrNull(err)]);
        client.close(() => (events.push('closed'), resolve()));
      });
    });
    client.write(pattern(32 << 20, 7), (err) => events.push(['big', codeOrNull(err)]));
    client.write('c', (err) => events.push(['c', codeOrNull(err)]));
    client.write(['d', 'e'], (err) => events.push(['de', codeOrNull(err)]));
    await closed;
    await tick();
    expect(events).toEqual([['a', null], ['big', 'ECANCELED'], ['c', 'ECANCELED'], ['de', 'ECANCELED'], 'closed']);
    await closeAll(pair.peer, pair.server);
  });

  it('10,000 writes queued in one tick arrive in order, each callback once and in order', async () => {
    const pair = await connectPair();
    const { client } = pair;
    const N = 10_000;
    const received = readToEnd(pair.peer);
    const order: number[] = [];
    const failures: unknown[] = [];
    let expectedLength = 0;
    for (let i = 0; i < N; i++) {
      // [u32 sequence][u8 filler length][filler: the low byte of the sequence]
      const fill = i % 23;
      const message = Buffer.alloc(5 + fill, i & 0xff);
      message.writeUInt32BE(i, 0);
      message[4] = fill;
      expectedLength += message.length;
      const data = i % 3 === 0 ? [message.subarray(0, 2), message.subarray(2)] : message;
      client.write(data, (err) => {
        order.push(i);
        if (err !== null) failures.push(err);
      });
    }
    const shutdownAt: number[] = [];
    await new Promise<void>((resolve) => client.shutdown(() => (shutdownAt.push(order.length), resolve())));
    const got = await received;
    expect(got.length).toBe(expectedLength);
    let offset = 0;
    let firstBad = -1;
    for (let i = 0; i < N && firstBad < 0; i++) {
      const fill = got[offset + 4] as number;
      const ok = got.readUInt32BE(offset) === i && fill === i % 23 && got.subarray(offset + 5, offset + 5 + fill).every((b) => b === (i & 0xff));
      if (!ok) firstBad = i;
      offset += 5 + fill;
    }
    expect(firstBad).toBe(-1);
    expect(failures).toEqual([]);
    expect(order.length).toBe(N);
    expect(order.every((v, i) => v === i)).toBe(true);
    expect(shutdownAt).toEqual([N]); // the shutdown completes after every write
    await closePair(pair);
  });

  it('one 128 MiB write arrives byte-exact, then EOF; its callback fires once with success', { timeout: 120_000 }, async () => {
    const pair = await connectPair();
    const SIZE = 128 * 1024 * 1024;
    const big = Buffer.allocUnsafe(SIZE).fill(pattern(65_521, 8));
    let received = 0;
    let mismatchAt = -1;
    const done = new Promise<unknown>((resolve) => {
      pair.peer.startRead((err, data) => {
        if (data === null) return resolve(err);
        if (mismatchAt < 0 && !data.equals(big.subarray(received, received + data.length))) mismatchAt = received;
        received += data.length;
      });
    });
    const results: unknown[] = [];
    pair.client.write(big, (err) => results.push(err));
    await pair.client.shutdown();
    expect(await done).toBeNull();
    expect(received).toBe(SIZE);
    expect(mismatchAt).toBe(-1);
    expect(results).toEqual([null]);
    await closePair(pair);
  });

  it('1,000 concurrent loopback connections each echo 40 KiB byte-exact', { timeout: 120_000 }, async () => {
    const N = 1000;
    const SIZE = 40 * 1024;
    const peers: TCP[] = [];
    const serverErrors: unknown[] = [];
    const { server, port } = listenOn(
      undefined,
      (peer) => {
        peers.push(peer);
        peer.startRead((err, data) => {
          if (err !== null) {
            serverErrors.push(err.code);
            void peer.close();
          } else if (data === null) {
            peer.shutdown((e) => {
              if (e !== null) serverErrors.push(e.code);
              void peer.close();
            });
          } else {
            peer.write(data, (e) => e !== null && serverErrors.push(e.code));
          }
        });
      },
      V4,
      1024,
    );
    const echo = async (i: number): Promise<string | null> => {
      const client = new TCP();
      const payload = pattern(SIZE, 1000 + i);
      try {
        await client.connect({ address: V4, port });
        const [got] = await Promise.all([readToEnd(client), client.write(payload), client.shutdown()]);
        return got.equals(payload) ? null : `connection ${i}: ${got.length} bytes, not the payload`;
      } catch (error) {
        return `connection ${i}: ${String(error)}`;
      } finally {
        await client.close();
      }
    };
    const outcomes = await Promise.all(Array.from({ length: N }, (_, i) => echo(i)));
    const failures = outcomes.filter((o) => o !== null);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(failures.length).toBe(0);
    expect(serverErrors).toEqual([]);
    expect(peers.length).toBe(N);
    for (let i = 0; i < 50 && peers.some((p) => !p.closed); i++) await tick();
    expect(peers.filter((p) => !p.closed).length).toBe(0);
    await server.close();
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): peer reset (closeReset())', () => {
  it('a reading side gets ECONNRESET as a read error (after the data), once; it is then not writable', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const events: Array<[unknown, string | null]> = [];
    const ended = new Promise<void>((resolve) => {
      client.startRead((err, data) => {
        events.push([codeOrNull(err), data === null ? null : data.toString()]);
        if (data === null) resolve();
      });
    });
    await peer.write('partial');
    while (events.length === 0) await tick();
    let resetCloses = 0;
    await new Promise<void>((resolve) => peer.closeReset(() => (resetCloses++, resolve())));
    await ended;
    await tick();
    expect(events).toEqual([
      [null, 'partial'],
      ['ECONNRESET', null],
    ]);
    expect(resetCloses).toBe(1);
    expect(peer.closed).toBe(true);
    expect(client.writable).toBe(false);
    expectUVError(() => client.write('x'), 'EPIPE', 'write');
    await closeAll(client, pair.server);
  });

  it('a reset while the other side is writing: its queued writes fail once each (EPIPE), its read gets ECONNRESET', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const events: unknown[] = [];
    const bigDone = new Promise<void>((resolve) => {
      client.write(pattern(32 << 20, 9), (err) => (events.push(['big', codeOrNull(err)]), resolve()));
    });
    const tailDone = new Promise<void>((resolve) => {
      client.write('tail', (err) => (events.push(['tail', codeOrNull(err)]), resolve()));
    });
    const readEnd = new Promise<void>((resolve) => {
      client.startRead((err, data) => {
        events.push(['read', codeOrNull(err), data === null ? null : data.length]);
        if (data === null) resolve();
      });
    });
    // The peer reads one chunk, then resets the connection from inside its read callback.
    peer.startRead(() => {
      peer.stopRead();
      void peer.closeReset();
    });
    await Promise.all([bigDone, tailDone, readEnd]);
    for (let i = 0; i < 3; i++) await tick();
    expect(events).toContainEqual(['read', 'ECONNRESET', null]);
    expect(events.filter((e) => (e as unknown[])[0] === 'big')).toEqual([['big', 'EPIPE']]);
    expect(events.filter((e) => (e as unknown[])[0] === 'tail')).toEqual([['tail', 'EPIPE']]);
    expect(events).toHaveLength(3);
    await closeAll(client, pair.server);
  });

  it('a reset arriving while data is still unread: the data is delivered, then (on Linux) EOF', async () => {
    const pair = await connectPair();
    await pair.peer.write('unread');
    await tick();
    await pair.peer.closeReset();
    await tick();
    const events: Array<[unknown, string | null]> = [];
    const ended = new Promise<void>((resolve) => {
      pair.client.startRead((err, data) => {
        events.push([codeOrNull(err), data === null ? null : data.toString()]);
        if (data === null) resolve();
      });
    });
    await ended;
    await tick();
    expect(events[0]).toEqual([null, 'unread']);
    expect(events).toHaveLength(2);
    // Linux reports the end of a reset connection whose data was read as EOF (SOCK_DONE) up to
    // libuv 1.51 (Node 22); libuv 1.52 (Node 24) reports ECONNRESET, as other systems do.
    const [major, minor] = process.versions.uv.split('.').map(Number) as [number, number];
    const eofAfterReset = process.platform === 'linux' && major === 1 && minor < 52;
    expect(events[1]).toEqual(eofAfterReset ? [null, null] : ['ECONNRESET', null]);
    await closeAll(pair.client, pair.server);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): async context', () => {
  const als = new AsyncLocalStorage<string>();

  it('connect, write (at once, later from libuv, batched behind one in flight) and shutdown callbacks run in their caller’s AsyncLocalStorage context, not the handle’s', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const note = (what: string) => (err: unknown) => seen.push([err === null ? what : `${what} failed`, als.getStore()]);
    let onPeer!: (peer: TCP) => void;
    const accepted = new Promise<TCP>((resolve) => (onPeer = resolve));
    const { server, port } = listenOn(undefined, onPeer);
    const client = new TCP(); // made outside any store: its own callbacks see none
    try {
      await new Promise<void>((resolve) => als.run('connect', () => client.connect({ address: V4, port }, (err) => (note('connect')(err), resolve()))));
      const peer = await accepted;
      const received = readToEnd(peer);
      const big = pattern(32 * 1024 * 1024, 3); // more than the socket takes at once: libuv calls back later
      als.run('big', () => client.write(big, note('big')));
      als.run('batched', () => client.write('tail', note('batched'))); // waits behind the big one
      als.run('shutdown', () => client.shutdown(note('shutdown')));
      expect((await received).length).toBe(big.length + 4);
      await until(() => seen.length === 4, 'the four callbacks');
      // A write that goes out at once (its callback from a nextTick).
      const echo = await connectPair();
      try {
        als.run('small', () => echo.client.write('x', note('small')));
        await until(() => seen.length === 5, 'the small write');
      } finally {
        await closePair(echo);
      }
      await closeAll(peer);
    } finally {
      await closeAll(client, server);
    }
    expect(seen).toEqual([
      ['connect', 'connect'],
      ['big', 'big'],
      ['batched', 'batched'],
      ['shutdown', 'shutdown'],
      ['small', 'small'],
    ]);
    expect(als.getStore()).toBeUndefined();
  });

  it('a read callback runs in the context the handle was made in', async () => {
    let onPeer!: (peer: TCP) => void;
    const accepted = new Promise<TCP>((resolve) => (onPeer = resolve));
    const { server, port } = listenOn(undefined, onPeer);
    const client = als.run('client', () => new TCP());
    try {
      await client.connect({ address: V4, port });
      const peer = await accepted;
      const store = new Promise<string | undefined>((resolve) => client.startRead(() => resolve(als.getStore())));
      await peer.write('hello');
      expect(await store).toBe('client');
      await closeAll(peer);
    } finally {
      await closeAll(client, server);
    }
  });
});

describe('TCP on Loop.default(): close', () => {
  it('close inside the read callback: no further read callback', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    let reads = 0;
    const closed = new Promise<void>((resolve) => {
      peer.startRead(() => {
        reads++;
        peer.close(resolve);
      });
    });
    client.write(pattern(256 * 1024, 10), () => {}); // several reads' worth (a read takes at most 64 KiB)
    await closed;
    for (let i = 0; i < 3; i++) await tick();
    expect(reads).toBe(1);
    expect(peer.closed).toBe(true);
    await closeAll(client, pair.server);
  });

  it('close inside the connect callback (success and refusal)', async () => {
    const peers: TCP[] = [];
    const { server, port } = listenOn(undefined, (p) => peers.push(p));
    const { server: unlistened, port: refusedPort } = boundServer();
    const events: unknown[] = [];
    const ok = new TCP();
    const refused = new TCP();
    await Promise.all([
      new Promise<void>((resolve) => {
        ok.connect({ address: V4, port }, (err) => {
          events.push(['ok', codeOrNull(err)]);
          ok.close(() => (events.push('ok closed'), resolve()));
        });
      }),
      new Promise<void>((resolve) => {
        refused.connect({ address: V4, port: refusedPort }, (err) => {
          events.push(['refused', codeOrNull(err)]);
          refused.close(() => (events.push('refused closed'), resolve()));
        });
      }),
    ]);
    await tick();
    expect(events.filter((e) => String(e).startsWith('ok'))).toEqual([['ok', null], 'ok closed']);
    expect(events.filter((e) => String(e).startsWith('refused'))).toEqual([['refused', 'ECONNREFUSED'], 'refused closed']);
    expect(ok.closed && refused.closed).toBe(true);
    for (let i = 0; i < 20 && peers.length === 0; i++) await tick();
    await closeAll(server, unlistened, ...peers);
  });

  it('close inside the connection callback: the accepted peer still works', async () => {
    const server = new TCP();
    server.bind({ address: V4, port: 0 });
    const port = server.getsockname().port;
    let peer: TCP | undefined;
    let connections = 0;
    const serverClosed = new Promise<void>((resolve) => {
      server.listen(() => {
        connections++;
        peer = new TCP();
        server.accept(peer);
        server.close(resolve);
      });
    });
    const client = new TCP();
    await client.connect({ address: V4, port });
    await serverClosed;
    const received = readToEnd(peer as TCP);
    await client.write('after server close');
    await client.shutdown();
    expect((await received).toString()).toBe('after server close');
    expect(connections).toBe(1);
    await closeAll(client, peer as TCP);
  });

  it('close twice: both callbacks run once; close() after closed resolves; closeReset() after close does not throw', async () => {
    const pair = await connectPair();
    const calls: string[] = [];
    pair.client.close(() => calls.push('first'));
    pair.client.close(() => calls.push('second'));
    expect(pair.client.closing).toBe(true);
    await pair.client.close();
    expect(pair.client.closed).toBe(true);
    expect(pair.client.closing).toBe(false);
    await pair.client.close();
    await new Promise<void>((resolve) => pair.client.close(() => (calls.push('third'), resolve())));
    await expect(pair.client.closeReset()).resolves.toBeUndefined();
    await tick();
    expect(calls).toEqual(['first', 'second', 'third']);
    await closePair(pair);
  });

  it('every method throws ERR_HANDLE_CLOSED while closing and once closed; no callback runs', async () => {
    const pair = await connectPair();
    const { client } = pair;
    let callbacks = 0;
    const cb = (): void => {
      callbacks++;
    };
    const spare = new TCP();
    const calls: Array<[string, () => unknown]> = [
      ['write(data, cb)', () => client.write('x', cb)],
      ['write(data)', () => client.write('x')],
      ['write([...])', () => client.write(['x', 'y'], cb)],
      ['tryWrite', () => client.tryWrite('x')],
      ['startRead', () => client.startRead(cb)],
      ['startRead({ buffer })', () => client.startRead(cb, { buffer: new Uint8Array(8) })],
      ['stopRead', () => client.stopRead()],
      ['shutdown(cb)', () => client.shutdown(cb)],
      ['shutdown()', () => client.shutdown()],
      ['listen', () => client.listen(cb)],
      ['accept', () => client.accept(spare)],
      ['bind', () => client.bind({ address: V4, port: 0 })],
      ['connect(addr, cb)', () => client.connect({ address: V4, port: pair.port }, cb)],
      ['connect(addr)', () => client.connect({ address: V4, port: pair.port })],
      ['getsockname', () => client.getsockname()],
      ['getpeername', () => client.getpeername()],
      ['nodelay', () => client.nodelay(true)],
      ['keepalive', () => client.keepalive(true, 10)],
      ['simultaneousAccepts', () => client.simultaneousAccepts(true)],
      ['open', () => client.open(0)],
      ['setBlocking', () => client.setBlocking(false)],
      ['fileno', () => client.fileno()],
      ['ref', () => client.ref()],
      ['unref', () => client.unref()],
      ['hasRef', () => client.hasRef()],
      ['family', () => client.family],
      ['sendBufferSize', () => client.sendBufferSize],
      ['sendBufferSize =', () => (client.sendBufferSize = 4096)],
      ['recvBufferSize', () => client.recvBufferSize],
      ['recvBufferSize =', () => (client.recvBufferSize = 4096)],
    ];
    const check = (state: string): void => {
      for (const [name, call] of calls) {
        const error = capture(call);
        expect(errorCode(error), `${name} while ${state}: ${inspect(error)}`).toBe('ERR_HANDLE_CLOSED');
        expect(Object.getPrototypeOf(error), `${name} while ${state}`).toBe(Error.prototype);
      }
      expect([client.readable, client.writable, client.writeQueueSize, client.active]).toEqual([false, false, 0, false]);
    };
    const closing = client.close();
    expect(client.closing).toBe(true);
    check('closing');
    await closing;
    expect(client.closed).toBe(true);
    check('closed');
    await tick();
    expect(callbacks).toBe(0);
    await closeAll(spare, pair.peer, pair.server);
  });

  it('a handle left open is found by loop.handles until closed', async () => {
    const tcp = new TCP();
    expect(Loop.default().handles).toContain(tcp);
    await tcp.close();
    expect(Loop.default().handles).not.toContain(tcp);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP on Loop.default(): accept()', () => {
  it('rejects a closed client, non-streams and a client of another loop; the pending connection is then still accepted', async () => {
    const other = new Loop();
    const outcomes: Record<string, unknown> = {};
    let peer: TCP | undefined;
    const server = new TCP();
    server.bind({ address: V4, port: 0 });
    const port = server.getsockname().port;
    const accepted = new Promise<void>((resolve) => {
      server.listen(() => {
        const closed = new TCP();
        closed.close();
        outcomes.closing = capture(() => server.accept(closed));
        outcomes.object = capture(() => server.accept({} as never));
        outcomes.null = capture(() => server.accept(null as never));
        outcomes.number = capture(() => server.accept(3 as never));
        const timer = new Timer();
        outcomes.timer = capture(() => server.accept(timer as never));
        timer.close();
        const foreign = new TCP(other);
        outcomes.foreign = capture(() => server.accept(foreign));
        foreign.close();
        peer = new TCP();
        outcomes.good = capture(() => server.accept(peer as TCP));
        resolve();
      });
    });
    const client = new TCP();
    await client.connect({ address: V4, port });
    await accepted;
    const codes = Object.fromEntries(Object.entries(outcomes).map(([k, v]) => [k, v === NO_THROW ? 'no throw' : errorCode(v)]));
    expect(codes).toEqual({
      closing: 'ERR_HANDLE_CLOSED',
      object: 'ERR_INVALID_ARG_TYPE',
      null: 'ERR_INVALID_ARG_TYPE',
      number: 'ERR_INVALID_ARG_TYPE',
      timer: 'ERR_INVALID_ARG_TYPE',
      foreign: 'ERR_INVALID_ARG_VALUE',
      good: 'no throw',
    });
    expect(outcomes.object).toBeInstanceOf(TypeError);
    expect(outcomes.foreign).toBeInstanceOf(TypeError);
    const received = readToEnd(peer as TCP);
    await client.write('accepted');
    await client.shutdown();
    expect((await received).toString()).toBe('accepted');
    await closeAll(server, client, peer as TCP);
    other.close();
  });

  it('accept() with no pending connection is a UVError EAGAIN', async () => {
    const { server } = boundServer();
    server.listen(() => {});
    const client = new TCP();
    expectUVError(() => server.accept(client), 'EAGAIN', 'accept');
    await closeAll(server, client);
  });

  it('accept() into a client that already has a socket is refused (ERR_INVALID_ARG_VALUE) and keeps the pending connection', async () => {
    const server = new TCP();
    server.bind({ address: V4, port: 0 });
    const port = server.getsockname().port;
    const outcomes: unknown[] = [];
    let peer: TCP | undefined;
    const busy = new TCP(undefined, { family: 'IPv4' });
    const handled = new Promise<void>((resolve) => {
      server.listen(() => {
        outcomes.push(errorCode(capture(() => server.accept(busy))));
        peer = new TCP();
        const second = capture(() => server.accept(peer as TCP));
        outcomes.push(second === NO_THROW ? 'accepted' : errorCode(second));
        resolve();
      });
    });
    const client = new TCP();
    try {
      await client.connect({ address: V4, port });
      await handled;
      expect(outcomes).toEqual(['ERR_INVALID_ARG_VALUE', 'accepted']);
    } finally {
      await closeAll(server, client, peer as TCP, busy);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('TCP: bad input to every method (thrown synchronously, nothing done)', () => {
  const TYPE: [TypeErrorConstructor, string] = [TypeError, 'ERR_INVALID_ARG_TYPE'];
  const VALUE: [TypeErrorConstructor, string] = [TypeError, 'ERR_INVALID_ARG_VALUE'];
  const RANGE: [RangeErrorConstructor, string] = [RangeError, 'ERR_OUT_OF_RANGE'];

  // Addresses as bind() and connect() take them.
  const BAD_ADDRESSES: Array<[string, unknown, [ErrorClass, string]]> = [
    ['undefined', undefined, TYPE],
    ['null', null, TYPE],
    ['a string', '127.0.0.1:80', TYPE],
    ['a number', 80, TYPE],
    ['an array', ['127.0.0.1', 0], TYPE],
    ['address missing', { port: 0 }, TYPE],
    ['address a number', { address: 2130706433, port: 0 }, TYPE],
    ['address null', { address: null, port: 0 }, TYPE],
    ["address 'nope'", { address: 'nope', port: 0 }, VALUE],
    ["address ''", { address: '', port: 0 }, VALUE],
    ["address 'localhost'", { address: 'localhost', port: 0 }, VALUE],
    ['address with a NUL byte', { address: '127.0.0.1\0', port: 0 }, VALUE],
    ["address '1.2.3'", { address: '1.2.3', port: 0 }, VALUE],
    ["address '256.0.0.1'", { address: '256.0.0.1', port: 0 }, VALUE],
    ["address ' 127.0.0.1'", { address: ' 127.0.0.1', port: 0 }, VALUE],
    ["address ':::1'", { address: ':::1', port: 0 }, VALUE],
    ['port -1', { address: V4, port: -1 }, RANGE],
    ['port 65536', { address: V4, port: 65536 }, RANGE],
    ['port 1.5', { address: V4, port: 1.5 }, RANGE],
    ['port NaN', { address: V4, port: Number.NaN }, RANGE],
    ['port Infinity', { address: V4, port: Number.POSITIVE_INFINITY }, RANGE],
    ['port 2^53', { address: V4, port: 2 ** 53 }, RANGE],
    ["port '80'", { address: V4, port: '80' }, TYPE],
    ['port missing', { address: V4 }, TYPE],
    ['port null', { address: V4, port: null }, TYPE],
    ['port 80n', { address: V4, port: 80n }, TYPE],
    ["family 'IPv6' for an IPv4 address", { address: V4, port: 0, family: 'IPv6' }, VALUE],
    ["family 'IPv4' for an IPv6 address", { address: V6, port: 0, family: 'IPv4' }, VALUE],
    ["family 'IPv5'", { address: V4, port: 0, family: 'IPv5' }, VALUE],
    ['family 4', { address: V4, port: 0, family: 4 }, VALUE],
  ];

  /** The handle never got a socket: no bind or connect happened. */
  function expectUntouched(tcp: TCP): void {
    expectUVError(() => tcp.family, 'EBADF');
    expect(tcp.active).toBe(false);
    expect(tcp.writeQueueSize).toBe(0);
  }

  it('constructor: wrong loop, options, family; a closed loop', async () => {
    const before = Loop.default().handles.length;
    expectError(() => new TCP(42 as never), ...TYPE);
    expectError(() => new TCP({} as never), ...TYPE);
    expectError(() => new TCP(null as never), ...TYPE);
    expectError(() => new TCP(undefined, null as never), ...TYPE);
    expectError(() => new TCP(undefined, 'IPv4' as never), ...TYPE);
    expectError(() => new TCP(undefined, [] as never), ...TYPE);
    expectError(() => new TCP(undefined, { family: 'IPv5' } as never), ...VALUE);
    expectError(() => new TCP(undefined, { family: 'ipv4' } as never), ...VALUE);
    expectError(() => new TCP(undefined, { family: 4 } as never), ...VALUE);
    expectError(() => new TCP(undefined, { family: null } as never), ...VALUE);
    expect(Loop.default().handles.length).toBe(before);
    const closedLoop = new Loop();
    closedLoop.close();
    expectError(() => new TCP(closedLoop), Error, 'ERR_LOOP_CLOSED');
    // family: undefined is the same as no family.
    const tcp = new TCP(undefined, { family: undefined } as never);
    expectUVError(() => tcp.family, 'EBADF');
    await tcp.close();
  });

  it.each(BAD_ADDRESSES)('bind() and connect() with %s', async (_what, addr, [cls, code]) => {
    const tcp = new TCP();
    let callbacks = 0;
    expectError(() => tcp.bind(addr as never), cls, code);
    expectError(() => tcp.connect(addr as never, () => callbacks++), cls, code);
    expectError(() => tcp.connect(addr as never), cls, code); // throws; no rejected promise
    expectUntouched(tcp);
    await tick();
    expect(callbacks).toBe(0);
    await tcp.close();
  });

  it('bind() options: wrong types', async () => {
    const tcp = new TCP();
    const addr = { address: V4, port: 0 };
    expectError(() => tcp.bind(addr, null as never), ...TYPE);
    expectError(() => tcp.bind(addr, 'ipv6Only' as never), ...TYPE);
    expectError(() => tcp.bind(addr, 42 as never), ...TYPE);
    expectError(() => tcp.bind(addr, { ipv6Only: 1 } as never), ...TYPE);
    expectError(() => tcp.bind(addr, { ipv6Only: 'true' } as never), ...TYPE);
    expectError(() => tcp.bind(addr, { ipv6Only: null } as never), ...TYPE);
    expectError(() => tcp.bind(addr, { reusePort: 1 } as never), ...TYPE);
    expectError(() => tcp.bind(addr, { reusePort: 'yes' } as never), ...TYPE);
    expectUntouched(tcp);
    await tcp.close();
  });

  it('connect() callback: not a function', async () => {
    const { server, port } = boundServer();
    server.listen(() => {});
    const tcp = new TCP();
    for (const cb of [42, 'x', null, {}]) expectError(() => tcp.connect({ address: V4, port }, cb as never), ...TYPE);
    expectUntouched(tcp);
    await closeAll(tcp, server);
  });

  it('listen(): callback and backlog', async () => {
    const { server } = boundServer();
    expectError(() => server.listen(undefined as never), ...TYPE);
    expectError(() => server.listen(42 as never), ...TYPE);
    for (const backlog of [-1, 1.5, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY]) {
      expectError(() => server.listen(() => {}, backlog), ...RANGE);
    }
    expectError(() => server.listen(() => {}, '5' as never), ...TYPE);
    expectError(() => server.listen(() => {}, null as never), ...TYPE);
    expect(server.active).toBe(false); // not listening
    server.listen(() => {}, 0);
    expect(server.active).toBe(true);
    await server.close();
  });

  it('startRead(): callback, options and options.buffer', async () => {
    const pair = await connectPair();
    const { peer } = pair;
    expectError(() => peer.startRead(undefined as never), ...TYPE);
    expectError(() => peer.startRead('cb' as never), ...TYPE);
    const cb = (): void => {};
    for (const options of [null, 42, 'x', []]) expectError(() => peer.startRead(cb, options as never), ...TYPE);
    for (const buffer of ['x', 42, null, new Uint16Array(4), new ArrayBuffer(4), [1, 2], new DataView(new ArrayBuffer(4))]) {
      expectError(() => peer.startRead(cb, { buffer } as never), ...TYPE);
    }
    expect(peer.active).toBe(false); // not reading
    await closePair(pair);
  });

  it('reader(): options', async () => {
    const tcp = new TCP();
    expectError(() => tcp.reader(null as never), ...TYPE);
    expectError(() => tcp.reader(42 as never), ...TYPE);
    for (const highWaterMark of [0, -1, 1.5, Number.NaN, 2 ** 31]) expectError(() => tcp.reader({ highWaterMark }), ...RANGE);
    expectError(() => tcp.reader({ highWaterMark: '4' } as never), ...TYPE);
    await tcp.close();
  });

  it('write() and shutdown() callbacks: not a function (nothing written, not shut down)', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    const received = readToEnd(peer);
    for (const cb of [42, 'x', null, {}]) {
      expectError(() => client.write('lost', cb as never), ...TYPE);
      expectError(() => client.shutdown(cb as never), ...TYPE);
    }
    expect(client.writable).toBe(true);
    await client.write('kept');
    await client.shutdown();
    expect((await received).toString()).toBe('kept');
    await closePair(pair);
  });

  it('nodelay(), keepalive(), simultaneousAccepts(), setBlocking(): wrong types and ranges', async () => {
    const tcp = new TCP();
    for (const v of [1, 'true', null, undefined]) {
      expectError(() => tcp.nodelay(v as never), ...TYPE);
      expectError(() => tcp.keepalive(v as never, 10), ...TYPE);
      expectError(() => tcp.simultaneousAccepts(v as never), ...TYPE);
      expectError(() => tcp.setBlocking(v as never), ...TYPE);
    }
    for (const delay of [-1, 1.5, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY]) expectError(() => tcp.keepalive(true, delay), ...RANGE);
    expectError(() => tcp.keepalive(false, -1), ...RANGE);
    expectError(() => tcp.keepalive(true, '10' as never), ...TYPE);
    expectError(() => tcp.keepalive(true, null as never), ...TYPE);
    expectUntouched(tcp);
    await tcp.close();
  });

  it('open(): bad fds (type, range), a regular file (ENOTSOCK), a closed fd (EBADF)', async () => {
    const tcp = new TCP();
    for (const fd of [-1, 1.5, Number.NaN, 2 ** 31]) expectError(() => tcp.open(fd), ...RANGE);
    for (const fd of ['3', null, undefined, 3n]) expectError(() => tcp.open(fd as never), ...TYPE);
    const file = openSync(process.execPath, 'r');
    try {
      expectUVError(() => tcp.open(file), 'ENOTSOCK', 'uv_tcp_open');
    } finally {
      closeSync(file);
    }
    expectUVError(() => tcp.open(2 ** 31 - 1), 'EBADF', 'uv_tcp_open');
    expectUntouched(tcp);
    await tcp.close();
  });

  it("open() of an fd another open handle has (of any loop, Node's net included): EEXIST naming the fd; the owner keeps serving", async () => {
    const owner = new TCP();
    owner.bind({ address: '127.0.0.1', port: 0 });
    const accepted: string[] = [];
    owner.listen((err) => accepted.push(err === null ? 'connection' : String(codeOrNull(err))));
    const loop = new Loop();
    for (const target of [new TCP(), new TCP(loop)]) {
      const error = expectUVError(() => target.open(owner.fileno()), 'EEXIST', 'uv_tcp_open');
      expect(error.message).toContain(`fd ${owner.fileno()} belongs to another open handle`);
      expectUntouched(target);
      target.close();
    }
    // A socket of Node's own (a net.Server on Node's loop) is refused the same way.
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const nodeFd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const adopter = new TCP(loop);
    expectUVError(() => adopter.open(nodeFd), 'EEXIST', 'uv_tcp_open');
    adopter.close();
    await new Promise((resolve) => server.close(resolve));
    // The owner still accepts.
    const { port } = owner.getsockname() as { port: number };
    const socket = net.connect(port, '127.0.0.1');
    await within(
      new Promise<void>((resolve) => {
        const check = setInterval(() => accepted.length > 0 && (clearInterval(check), resolve()), 5);
      }),
      5000,
      'accept',
    );
    socket.destroy();
    expect(accepted[0]).toBe('connection');
    await owner.close();
    runToEnd(loop);
    loop.close();
  });

  it('sendBufferSize / recvBufferSize setters: wrong types and ranges', async () => {
    const pair = await connectPair();
    const target = pair.client as unknown as { sendBufferSize: unknown; recvBufferSize: unknown };
    const before = [pair.client.sendBufferSize, pair.client.recvBufferSize];
    for (const key of ['sendBufferSize', 'recvBufferSize'] as const) {
      for (const v of [0, -1, 1.5, Number.NaN, 2 ** 31]) expectError(() => (target[key] = v), ...RANGE);
      for (const v of ['4096', null, undefined, true]) expectError(() => (target[key] = v), ...TYPE);
    }
    expect([pair.client.sendBufferSize, pair.client.recvBufferSize]).toEqual(before);
    await closePair(pair);
  });

  it('close() and closeReset() callbacks: not a function (the handle is not closed)', async () => {
    const pair = await connectPair();
    const { client, peer } = pair;
    try {
      expectError(() => client.close('x' as never), ...TYPE);
      expect(client.closing).toBe(false);
      expectError(() => client.closeReset('x' as never), ...TYPE);
      expect(client.closing).toBe(false);
      expect(client.closed).toBe(false);
      // The connection is untouched: no reset reached the peer.
      const received = readToEnd(peer);
      await client.write('still connected');
      await client.shutdown();
      expect((await received).toString()).toBe('still connected');
    } finally {
      await closePair(pair);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// the same behaviour on a private loop, driven by loop.run()

describe('TCP on a private loop (loop.run())', () => {
  it('echo PING -> PONG, then shutdown/EOF on both sides; run() returns false when all is closed', () => {
    const loop = new Loop();
    const events: string[] = [];
    const { server, port } = listenOn(loop, (peer) => {
      peer.startRead((err, data) => {
        events.push(`server read ${String(codeOrNull(err))} ${data === null ? 'EOF' : data.toString()}`);
        if (data === null) {
          peer.close();
          server.close();
        } else if (data.toString() === 'PING') {
          peer.write('PONG', () => {}); // (its callback is checked in the next test)
        }
      });
    });
    const client = new TCP(loop);
    client.connect({ address: V4, port }, (err) => {
      events.push(`connect ${String(codeOrNull(err))}`);
      client.startRead((e, data) => {
        events.push(`client read ${String(codeOrNull(e))} ${data === null ? 'EOF' : data.toString()}`);
        if (data !== null) client.shutdown((se) => events.push(`shutdown ${String(codeOrNull(se))}`));
        else client.close();
      });
      client.write('PING');
    });
    runToEnd(loop);
    expect(loop.run()).toBe(false);
    expect(events).toEqual([
      'connect null',
      'server read null PING',
      'client read null PONG',
      'shutdown null',
      'server read null EOF',
      'client read null EOF',
    ]);
    loop.close();
  });

  it('a write that completes at once calls its callback inside run()', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const events: unknown[] = [];
    pair.client.write('PING', (err) => {
      events.push(['write', err]);
      pair.client.close();
      pair.peer.close();
      pair.server.close();
    });
    const outcome = capture(() => runToEnd(loop, 3000));
    expect(events).toEqual([['write', null]]);
    expect(outcome).toBe(NO_THROW);
    loop.close();
  });

  it('write, write, close inside a callback: both write callbacks run inside run(), before the close callback', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const events: unknown[] = [];
    const timer = new Timer(loop);
    timer.start(() => {
      timer.close();
      pair.client.write('a', (err) => events.push(['a', codeOrNull(err)]));
      pair.client.write('b', (err) => events.push(['b', codeOrNull(err)]));
      pair.client.close(() => {
        events.push('closed');
        pair.peer.close();
        pair.server.close();
      });
    }, 0);
    runToEnd(loop);
    expect(events.map((e) => (Array.isArray(e) ? e[0] : e))).toEqual(['a', 'b', 'closed']);
    for (const e of events.slice(0, 2)) expect([null, 'ECANCELED']).toContain((e as unknown[])[1]);
    loop.close();
  });

  it('connection refused reaches the connect callback once', () => {
    const loop = new Loop();
    const { server: unlistened, port } = boundServer(loop);
    const client = new TCP(loop);
    const results: unknown[] = [];
    client.connect({ address: V4, port }, (err) => {
      results.push(err);
      client.close();
      unlistened.close();
    });
    runToEnd(loop);
    expect(results).toHaveLength(1);
    expect(results[0]).toBeInstanceOf(UVError);
    expect(results[0]).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: V4, port });
    loop.close();
  });

  it('closing with 1024 queued writes: every callback once, ECANCELED for the cancelled, all before the close callback', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const block = Buffer.alloc(64 * 1024, 0x63);
    const results: unknown[] = [];
    for (let i = 0; i < 1024; i++) pair.client.write(block, (err) => results.push(codeOrNull(err)));
    let atClose = -1;
    pair.client.close(() => {
      atClose = results.length;
      pair.peer.close();
      pair.server.close();
    });
    runToEnd(loop);
    expect(results.length).toBe(1024);
    expect(atClose).toBe(1024);
    const firstCancelled = results.indexOf('ECANCELED');
    expect(firstCancelled).toBeGreaterThan(-1);
    expect(results.slice(firstCancelled).every((r) => r === 'ECANCELED')).toBe(true);
    expect(results.slice(0, firstCancelled).every((r) => r === null)).toBe(true);
    loop.close();
  });

  it('a tryWrite() retry loop driven by an Idle handle delivers all of 8 MiB', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const big = pattern(8 << 20, 11);
    const chunks: Buffer[] = [];
    let readEnd: unknown = 'not yet';
    pair.peer.startRead((err, data) => {
      if (data !== null) return void chunks.push(data);
      readEnd = err;
      pair.peer.close();
      pair.server.close();
    });
    let offset = 0;
    let shutdownResult: unknown = 'not called';
    const idle = new Idle(loop);
    idle.start(() => {
      offset += pair.client.tryWrite(big.subarray(offset));
      if (offset < big.length) return;
      idle.close();
      pair.client.shutdown((err) => {
        shutdownResult = err;
        pair.client.close();
      });
    });
    runToEnd(loop, 60_000);
    expect(offset).toBe(big.length);
    expect(shutdownResult).toBeNull();
    expect(readEnd).toBeNull();
    expectBytes(Buffer.concat(chunks), big);
    loop.close();
  });

  it('10,000 queued writes arrive in order; every callback fires inside run()', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const N = 10_000;
    const chunks: Buffer[] = [];
    pair.peer.startRead((err, data) => {
      if (data !== null) return void chunks.push(data);
      pair.peer.close();
      pair.server.close();
    });
    let callbacks = 0;
    let failures = 0;
    for (let i = 0; i < N; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(i);
      pair.client.write(b, (err) => {
        callbacks++;
        if (err !== null) failures++;
      });
    }
    pair.client.shutdown(() => pair.client.close());
    runToEnd(loop, 60_000);
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(N * 4);
    let firstBad = -1;
    for (let i = 0; i < N && firstBad < 0; i++) if (got.readUInt32BE(i * 4) !== i) firstBad = i;
    expect(firstBad).toBe(-1);
    expect(failures).toBe(0);
    expect(callbacks).toBe(N);
    loop.close();
  });

  it('closeReset() on one side: the reading side gets the data, then ECONNRESET', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const events: Array<[unknown, string | null]> = [];
    pair.client.startRead((err, data) => {
      events.push([codeOrNull(err), data === null ? null : data.toString()]);
      if (data !== null) pair.peer.closeReset();
      else {
        pair.client.close();
        pair.server.close();
      }
    });
    pair.peer.write('bye');
    runToEnd(loop);
    expect(events).toEqual([
      [null, 'bye'],
      ['ECONNRESET', null],
    ]);
    loop.close();
  });

  it('close inside connect, read and connection callbacks; close twice', () => {
    const loop = new Loop();
    const events: string[] = [];
    let peer: TCP | undefined;
    const server = new TCP(loop);
    server.bind({ address: V4, port: 0 });
    server.listen(() => {
      peer = new TCP(loop);
      server.accept(peer);
      server.close(() => events.push('server closed'));
      server.close(() => events.push('server closed again'));
      peer.startRead((err, data) => {
        events.push(`peer read ${data === null ? 'EOF' : data.toString()}`);
        peer?.close(() => events.push('peer closed'));
      });
    });
    const client = new TCP(loop);
    client.connect({ address: V4, port: server.getsockname().port }, (err) => {
      events.push(`connect ${String(codeOrNull(err))}`);
      client.shutdown(() => {
        events.push('shutdown');
        client.close(() => events.push('client closed'));
      });
    });
    runToEnd(loop);
    // The client's shutdown callback and the peer's EOF come in one loop turn, in either order.
    expect([...events].sort()).toEqual(
      ['connect null', 'shutdown', 'client closed', 'peer read EOF', 'peer closed', 'server closed', 'server closed again'].sort(),
    );
    expect(events.indexOf('connect null')).toBe(0);
    expect(events.indexOf('shutdown')).toBeLessThan(events.indexOf('client closed'));
    expect(events.indexOf('peer read EOF')).toBeLessThan(events.indexOf('peer closed'));
    expect([server.closed, client.closed, (peer as TCP).closed]).toEqual([true, true, true]);
    loop.close();
  });

  it('a client on a private loop cannot be accepted by a server on Loop.default() (and the reverse)', async () => {
    const loop = new Loop();
    const privateServer = new TCP(loop);
    privateServer.bind({ address: V4, port: 0 });
    privateServer.listen(() => {});
    const defaultClient = new TCP();
    expectError(() => privateServer.accept(defaultClient), TypeError, 'ERR_INVALID_ARG_VALUE');
    const { server: defaultServer } = boundServer();
    defaultServer.listen(() => {});
    const privateClient = new TCP(loop);
    expectError(() => defaultServer.accept(privateClient), TypeError, 'ERR_INVALID_ARG_VALUE');
    await closeAll(defaultClient, defaultServer);
    privateServer.close();
    privateClient.close();
    loop.close();
  });
});
