// Poll: readiness of an fd (pyuv tests/test_poll.py, and more): a connected TCP socket driven
// through the fd alone (writable, then readable after the peer writes, DISCONNECT when it closes),
// stop and restart, the mask and callback replaced, errors (POLLERR, bad fds, a second Poll on one
// fd), Node's loop, and the crash-prone uses of an fd (closed or reused under an active Poll) in
// child processes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Loop, Poll, TCP, UDP, UVError, constants, type SocketAddress } from '../src/ts/index.js';
import { codeOf, expectError, expectUVError } from './helpers/assert.js';
import { runWatchScenario } from './helpers/child.js';
import { runToEnd, runUntil, until } from './helpers/loop.js';

const { READABLE, WRITABLE, DISCONNECT, PRIORITIZED } = constants.poll;
const V4 = '127.0.0.1';

let scratch = '';
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'uvkit-poll-'));
});
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Pair {
  server: TCP;
  client: TCP;
  peer: TCP;
}

/** On `loop`: a listening server, a connected client (never read by its TCP handle) and the accepted peer. */
function pairOn(loop: Loop): Pair {
  const server = new TCP(loop);
  server.bind({ address: V4, port: 0 });
  let peer: TCP | undefined;
  server.listen((err) => {
    if (err !== null) throw err;
    peer = new TCP(loop);
    server.accept(peer);
  });
  const client = new TCP(loop);
  let connected: unknown;
  client.connect({ address: V4, port: server.getsockname().port }, (err) => (connected = err));
  runUntil(loop, () => peer !== undefined && connected !== undefined, 'connect + accept');
  expect(connected).toBeNull();
  return { server, client, peer: peer as TCP };
}

function closePair(pair: Pair): void {
  for (const h of [pair.client, pair.peer, pair.server]) h.close();
}

/** read(2) on the fd: the bytes, '' at EOF, null when nothing is there yet (EAGAIN). */
function readFd(fd: number): string | null {
  const buffer = Buffer.alloc(256);
  try {
    return buffer.toString('latin1', 0, fs.readSync(fd, buffer));
  } catch (error) {
    if ((error as { code?: string }).code === 'EAGAIN') return null;
    throw error;
  }
}

/** A FIFO opened for reading and for writing, both non-blocking: an fd pair no handle owns. */
function fifo(name: string): { reader: number; writer: number; close: () => void } {
  const file = path.join(scratch, name);
  execFileSync('mkfifo', [file]);
  const reader = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  return {
    reader,
    writer,
    close: () => {
      fs.closeSync(reader);
      fs.closeSync(writer);
    },
  };
}

function counts(): { handles: number; uvHandles: number } {
  const { handles, uvHandles } = binding.debugCounts();
  return { handles, uvHandles };
}

describe('Poll', () => {
  it('constants.poll holds libuv’s event numbers', () => {
    expect(constants.poll).toEqual({ READABLE: 1, WRITABLE: 2, DISCONNECT: 4, PRIORITIZED: 8 });
    expect(Object.isFrozen(constants.poll)).toBe(true);
  });

  it('drives a TCP socket through its fd: writable, readable PING after the peer writes, then PONG back (pyuv test_poll)', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const fd = pair.client.fileno();
    const poll = new Poll(loop, fd);
    expect(poll.fileno()).toBe(fd);
    expect(poll.loop).toBe(loop);
    const steps: string[] = [];
    const peerGot: string[] = [];
    pair.peer.startRead((err, data) => {
      if (data !== null) peerGot.push(data.toString());
      if (err !== null || data === null || peerGot.join('') === 'PONG\n') pair.peer.stopRead();
    });

    poll.start(WRITABLE, function (err, events) {
      expect(err).toBeNull();
      expect(this).toBe(poll);
      steps.push(`writable ${events}`);
      // Writable: now wait for the peer's PING.
      poll.start(READABLE, (err2, events2) => {
        expect(err2).toBeNull();
        const data = readFd(fd);
        steps.push(`readable ${events2} ${JSON.stringify(data)}`);
        poll.start(WRITABLE, (err3) => {
          expect(err3).toBeNull();
          fs.writeSync(fd, 'PONG\n');
          steps.push('wrote PONG');
          poll.close();
        });
      });
      void pair.peer.write('PING\n');
    });
    expect(poll.active).toBe(true);
    runUntil(loop, () => peerGot.join('') === 'PONG\n' && poll.closed, 'PING and PONG');
    expect(steps).toEqual([`writable ${WRITABLE}`, `readable ${READABLE} "PING\\n"`, 'wrote PONG']);
    expect(poll.closed).toBe(true);
    expect(codeOf(() => poll.fileno())).toBe('ERR_HANDLE_CLOSED');
    closePair(pair);
    runToEnd(loop);
    loop.close();
  });

  it('reports DISCONNECT (with READABLE) when the peer closes, and the fd then reads EOF', () => {
    const loop = new Loop();
    const pair = pairOn(loop);
    const fd = pair.client.fileno();
    const poll = new Poll(loop, fd);
    const seen: number[] = [];
    poll.start(READABLE | DISCONNECT, (err, events) => {
      expect(err).toBeNull();
      seen.push(events);
      poll.stop();
    });
    pair.peer.close();
    runUntil(loop, () => seen.length > 0, 'the disconnect event');
    expect(seen).toHaveLength(1);
    expect(seen[0]! & DISCONNECT).toBe(DISCONNECT);
    expect(seen[0]! & READABLE).toBe(READABLE);
    expect(readFd(fd)).toBe('');
    poll.close();
    pair.client.close();
    pair.server.close();
    runToEnd(loop);
    loop.close();
  });

  it('stop() silences a readable fd until start() again; active and pinning follow', () => {
    const loop = new Loop();
    const { reader, writer, close } = fifo('stop-start');
    const poll = new Poll(loop, reader);
    let calls = 0;
    fs.writeSync(writer, 'x'); // stays readable: epoll is level-triggered
    poll.start(READABLE, () => {
      calls++;
      poll.stop();
    });
    loop.run();
    expect(calls).toBe(1);
    expect(poll.active).toBe(false);
    expect(loop.run('nowait')).toBe(false); // a stopped Poll keeps nothing alive
    expect(calls).toBe(1);
    poll.start(READABLE, () => {
      calls++;
      poll.stop();
    });
    expect(poll.active).toBe(true);
    loop.run();
    expect(calls).toBe(2);
    poll.close();
    loop.run();
    close();
    loop.close();
  });

  it('start() again replaces the mask and the callback', () => {
    const loop = new Loop();
    const { reader, writer, close } = fifo('replace');
    const poll = new Poll(loop, reader);
    const seen: string[] = [];
    poll.start(READABLE, () => seen.push('first'));
    poll.start(READABLE | PRIORITIZED, (err, events) => {
      seen.push(`second ${events}`);
      poll.close();
    });
    fs.writeSync(writer, 'x');
    runToEnd(loop);
    expect(seen).toEqual([`second ${READABLE}`]);
    close();
    loop.close();
  });

  it('closes from inside its callback: no call after close(), one close callback', () => {
    const loop = new Loop();
    const { reader, writer, close } = fifo('close-in-cb');
    const poll = new Poll(loop, reader);
    let calls = 0;
    let closes = 0;
    fs.writeSync(writer, 'x');
    poll.start(READABLE, () => {
      calls++;
      poll.close(() => closes++);
      expect(poll.closing).toBe(true);
    });
    runToEnd(loop);
    expect([calls, closes]).toEqual([1, 1]);
    close();
    loop.close();
  });

  it('an error on the fd (POLLERR: ICMP port unreachable on a connected UDP socket) is a UVError EBADF, syscall poll; the Poll stops', () => {
    const loop = new Loop();
    const gone = new UDP(loop);
    gone.bind({ address: V4, port: 0 });
    const port = (gone.getsockname() as SocketAddress).port;
    gone.close();
    const udp = new UDP(loop);
    udp.connect({ address: V4, port });
    const poll = new Poll(loop, udp.fileno());
    const seen: Array<[unknown, number]> = [];
    poll.start(READABLE, (err, events) => seen.push([err, events]));
    udp.trySend(Buffer.from('anyone?'));
    runUntil(loop, () => seen.length > 0, 'the error event');
    const [err, events] = seen[0]!;
    expect(err).toBeInstanceOf(UVError);
    expect((err as UVError).code).toBe('EBADF');
    expect((err as UVError).syscall).toBe('poll');
    expect(events).toBe(0);
    expect(poll.active).toBe(false);
    poll.close();
    udp.close();
    runToEnd(loop);
    expect(seen).toHaveLength(1);
    loop.close();
  });

  it('a second Poll on the same fd of the same loop is refused with UVError EEXIST naming the fd; the first keeps working', () => {
    const loop = new Loop();
    const { reader, writer, close } = fifo('second');
    const first = new Poll(loop, reader);
    let calls = 0;
    first.start(READABLE, () => {
      calls++;
      first.stop();
    });
    const before = counts();
    const error = expectUVError(() => new Poll(loop, reader), 'EEXIST', 'uv_poll_init');
    expect(error.message).toContain(`fd ${reader} already has a Poll on this loop`);
    expect(error.stack?.split('\n')[0]).toBe(`UVError: ${error.message}`);
    expect(counts()).toEqual(before);
    fs.writeSync(writer, 'x');
    loop.run();
    expect(calls).toBe(1);
    // Another loop has its own watchers: the same fd may have a Poll there.
    const other = new Loop();
    const elsewhere = new Poll(other, reader);
    elsewhere.start(READABLE, () => elsewhere.close());
    runToEnd(other);
    other.close();
    // Once the first closes (at close(), not only at its callback) the fd is free again.
    first.close();
    const again = new Poll(loop, reader);
    expect(again.fileno()).toBe(reader);
    again.close();
    runToEnd(loop);
    close();
    loop.close();
  });

  it('fds that cannot be polled give a UVError from uv_poll_init and create nothing', () => {
    const loop = new Loop();
    const file = path.join(scratch, 'regular');
    fs.writeFileSync(file, 'data');
    const regular = fs.openSync(file, 'r');
    const directory = fs.openSync(scratch, 'r');
    const devNull = fs.openSync('/dev/null', 'r');
    const closedFd = fs.openSync(file, 'r');
    fs.closeSync(closedFd);
    const before = counts();
    try {
      expectUVError(() => new Poll(loop, regular), 'EPERM', 'uv_poll_init'); // epoll cannot watch a regular file
      expectUVError(() => new Poll(loop, directory), 'EPERM', 'uv_poll_init');
      expectUVError(() => new Poll(loop, devNull), 'EPERM', 'uv_poll_init');
      expectUVError(() => new Poll(loop, closedFd), 'EBADF', 'uv_poll_init');
      expectUVError(() => new Poll(loop, 2 ** 31 - 1), 'EBADF', 'uv_poll_init');
      expect(counts()).toEqual(before);
      expect(loop.handles).toEqual([]);
      // A refused fd is not claimed: trying it again gives the same error, not EEXIST.
      expectUVError(() => new Poll(loop, regular), 'EPERM', 'uv_poll_init');
    } finally {
      for (const fd of [regular, directory, devNull]) fs.closeSync(fd);
      loop.close();
    }
  });

  it('bad arguments throw before anything is created', () => {
    const loop = new Loop();
    const before = counts();
    expectError(() => new Poll(loop, -1), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => new Poll(loop, 1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => new Poll(loop, 2 ** 31), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => new Poll(loop, '3' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => Reflect.construct(Poll, [loop]), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => Reflect.construct(Poll, [{}, 3]), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(counts()).toEqual(before);
    loop.close();
  });

  it('start() checks the mask (1..15) and the callback before touching the handle', () => {
    const loop = new Loop();
    const { reader, close } = fifo('bad-start');
    const poll = new Poll(loop, reader);
    for (const events of [0, 16, -1, 1.5, NaN, READABLE | 32]) {
      expectError(() => poll.start(events, () => {}), RangeError, 'ERR_OUT_OF_RANGE');
    }
    expectError(() => poll.start('1' as unknown as number, () => {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => poll.start(READABLE, null as unknown as () => void), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(poll.active).toBe(false);
    poll.close();
    loop.run();
    for (const call of [() => poll.start(READABLE, () => {}), () => poll.stop(), () => poll.fileno(), () => poll.ref()]) {
      expectError(call, Error, 'ERR_HANDLE_CLOSED');
    }
    close();
    loop.close();
  });

  it('a callback that throws stops run(), which rethrows; the Poll can still be closed', () => {
    const loop = new Loop();
    const { reader, writer, close } = fifo('throws');
    const poll = new Poll(loop, reader);
    poll.start(READABLE, () => {
      throw new Error('from the poll callback');
    });
    fs.writeSync(writer, 'x');
    expect(() => loop.run()).toThrow('from the poll callback');
    poll.close();
    loop.run();
    close();
    loop.close();
  });

  it("on Node's loop: a uvkit TCP client polled while a net.Server peer writes", async () => {
    const server = net.createServer((socket) => socket.end('hello from net\n'));
    await new Promise<void>((resolve) => server.listen(0, V4, resolve));
    const client = new TCP();
    await client.connect({ address: V4, port: (server.address() as net.AddressInfo).port });
    const fd = client.fileno();
    const poll = new Poll(fd);
    expect(poll.loop).toBe(Loop.default());
    let text = '';
    let eof = false;
    poll.start(READABLE, () => {
      for (let data = readFd(fd); data !== null; data = readFd(fd)) {
        if (data === '') {
          eof = true;
          poll.stop();
          return;
        }
        text += data;
      }
    });
    await until(() => eof, 'EOF through the Poll');
    expect(text).toBe('hello from net\n');
    await Promise.all([poll.close(), client.close()]);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('Poll: the fd under an active Poll (child processes)', () => {
  it('the caller closes its fd while the Poll is active, its number is reused by a regular file, and the Poll restarts: it keeps watching the original', async () => {
    expect(await runWatchScenario('poll-fd-reused')).toEqual({ before: [READABLE], after: [READABLE], restarted: true, counts: { handles: 0, uvHandles: 0 } });
  });

  it('the caller closes its fd inside the callback and restarts the Poll there', async () => {
    expect(await runWatchScenario('poll-fd-closed-in-callback')).toEqual({ calls: 2, counts: { handles: 0, uvHandles: 0 } });
  });

  it('two Polls on one fd, both would-be started: the second is refused, the first works, on a private loop and on Node’s loop', async () => {
    expect(await runWatchScenario('poll-twice')).toEqual({
      private: { refused: 'EEXIST', calls: 1 },
      node: { refused: 'EEXIST', calls: 1 },
      counts: { handles: 0, uvHandles: 0 },
    });
  });
});
