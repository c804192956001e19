// Garbage collection and handle lifetime (DESIGN.md "Lifetime" rules 2-3; reliability.md row 10;
// pyuv tests/test_gc.py, test_loop_handles.py, issue #63). Runs with --expose-gc (vitest.config.ts).
//
// An active handle is pinned by native code and keeps firing with no JS reference to it; an inactive,
// unreferenced one is collected, its finalizer only starts uv_close, and the uv handle is freed in
// the close callback. binding.debugCounts() counts live handles and uv handles not yet freed.
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Async, Check, FSEvent, FSPoll, Idle, Loop, Poll, Prepare, Signal, Timer, UDP, constants, type SocketAddress } from '../src/ts/index.js';
import { expectUVError } from './helpers/assert.js';
import { until } from './helpers/loop.js';

function collect(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('these tests need node --expose-gc');
  globalThis.gc();
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** gc() and a turn of Node's loop (finalizers run there), until cond() holds; throws after `rounds`. */
async function gcUntil(cond: () => boolean, what: string, rounds = 100): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    collect();
    await tick();
    if (cond()) return;
  }
  throw new Error(`not collected after ${rounds} gc rounds: ${what} (counts ${JSON.stringify(binding.debugCounts())})`);
}

/** Records which registered objects were collected. */
function tracker(): { registry: FinalizationRegistry<string>; collected: Set<string> } {
  const collected = new Set<string>();
  return { registry: new FinalizationRegistry<string>((name) => collected.add(name)), collected };
}

describe('active handles are pinned while nothing in JS refers to them', () => {
  it('an active Timer on a private loop whose references are all dropped still fires after gc()', () => {
    const { registry, collected } = tracker();
    const loop = new Loop();
    let fired = 0;
    (() => {
      const timer = new Timer(loop);
      registry.register(timer, 'timer');
      // The callback refers to the handle only through its argument: no closure keeps it alive.
      timer.start((t) => {
        fired++;
        if (fired === 3) t.close();
      }, 1, 1);
    })();
    for (let i = 0; i < 10; i++) collect();
    expect(collected.has('timer')).toBe(false);
    expect(loop.handles).toHaveLength(1);
    loop.run();
    expect(fired).toBe(3);
    loop.close();
  });

  it('an active Timer on Loop.default() whose references are all dropped still fires after gc()', async () => {
    const { registry, collected } = tracker();
    let fired = 0;
    (() => {
      const timer = new Timer();
      registry.register(timer, 'timer');
      timer.start((t) => {
        fired++;
        if (fired === 6) t.close();
      }, 2, 2);
    })();
    // gc() between callbacks while it is still active: it must neither be collected nor stop.
    while (fired < 3) {
      collect();
      await tick();
    }
    expect(collected.has('timer')).toBe(false);
    await until(() => fired === 6, 'six timer callbacks');
    // Closed: the pin is gone, so now it can be collected.
    await gcUntil(() => collected.has('timer'), 'the closed timer');
    expect(fired).toBe(6);
  });

  it('10x gc() while Timer, Prepare, Check, Idle, Async and Signal are active does not stop their callbacks', async () => {
    const counts = { timer: 0, prepare: 0, check: 0, idle: 0, async: 0, signal: 0 };
    let stop = false;
    let token: { uvkitAsync: number } | undefined;
    const guard = (): void => {};
    process.on('SIGWINCH', guard); // Node's own listener too, so the signal is never lost
    (() => {
      new Timer().start((t) => {
        counts.timer++;
        if (stop) t.close();
      }, 1, 1);
      new Prepare().start((h) => {
        counts.prepare++;
        if (stop) h.close();
      });
      new Check().start((h) => {
        counts.check++;
        if (stop) h.close();
      });
      new Idle().start((h) => {
        counts.idle++;
        if (stop) h.close();
      });
      const async = new Async((h) => {
        counts.async++;
        if (stop) h.close();
      });
      token = async.sender();
      new Signal().start(function (this: Signal) {
        counts.signal++;
        if (stop) this.close();
      }, 'SIGWINCH');
    })();
    for (let round = 0; round < 10; round++) {
      const before = { ...counts };
      collect();
      Async.send(token as { uvkitAsync: number });
      process.kill(process.pid, 'SIGWINCH');
      await until(
        () => (Object.keys(counts) as Array<keyof typeof counts>).every((k) => counts[k] > before[k]),
        `every callback after gc round ${round}`,
      );
    }
    stop = true;
    Async.send(token as { uvkitAsync: number });
    process.kill(process.pid, 'SIGWINCH');
    await until(() => Loop.default().handles.length === 0, 'every handle closed by its own callback');
    process.off('SIGWINCH', guard);
    expect(Math.min(...Object.values(counts))).toBeGreaterThanOrEqual(10);
  });

  it('an Async whose references are dropped can still be woken through its token after gc()', async () => {
    let calls = 0;
    let token: { uvkitAsync: number } | undefined;
    (() => {
      const async = new Async((h) => {
        calls++;
        h.close();
      });
      token = async.sender();
    })();
    for (let i = 0; i < 10; i++) {
      collect();
      await tick();
    }
    const sent = token as { uvkitAsync: number };
    expect(Async.send(sent)).toBe(true);
    await until(() => calls === 1, 'the async callback');
    await until(() => binding.debugCounts().uvHandles === 0, 'the async to be freed');
    expect(Async.send(sent)).toBe(false);
  });
});

describe('inactive, unreferenced handles are collected and freed', () => {
  it('a never-started Timer and a stopped Prepare on Loop.default() are collected and their uv handles freed', async () => {
    const { registry, collected } = tracker();
    const base = binding.debugCounts();
    (() => {
      const timer = new Timer();
      registry.register(timer, 'timer');
      const prepare = new Prepare();
      registry.register(prepare, 'prepare');
      prepare.start(() => {});
      prepare.stop();
    })();
    expect(binding.debugCounts().uvHandles).toBe(base.uvHandles + 2);
    await gcUntil(
      () => collected.has('timer') && collected.has('prepare') && binding.debugCounts().uvHandles === base.uvHandles,
      'timer and prepare',
    );
    expect(binding.debugCounts()).toEqual(base);
    expect(Loop.default().handles).toHaveLength(0);
  });

  it('on a private loop the finalizer only starts uv_close: the uv handle is freed when the loop runs (pyuv test_handle_lifetime)', async () => {
    const { registry, collected } = tracker();
    const loop = new Loop();
    const base = binding.debugCounts();
    (() => {
      for (const [name, handle] of [
        ['check', new Check(loop)],
        ['idle', new Idle(loop)],
        ['prepare', new Prepare(loop)],
        ['timer', new Timer(loop)],
        ['signal', new Signal(loop)],
      ] as const) {
        registry.register(handle, name);
      }
    })();
    expect(loop.handles).toHaveLength(5);
    await gcUntil(() => collected.size === 5, 'five handles on a private loop');
    expect(loop.handles).toHaveLength(0);
    const afterGc = binding.debugCounts();
    expect(afterGc.handles).toBe(base.handles); // no longer live handles...
    expect(afterGc.uvHandles).toBe(base.uvHandles + 5); // ...but closing, not freed: the loop has not run
    expect(loop.run()).toBe(false); // runs the close callbacks
    expect(binding.debugCounts().uvHandles).toBe(base.uvHandles);
    loop.close();
  });

  it('an unstarted Timer in a reference cycle is collected (pyuv test_gc)', async () => {
    const { registry, collected } = tracker();
    (() => {
      const timer = new Timer();
      const foo: { timer?: Timer } = {};
      foo.timer = timer;
      timer.data = foo;
      registry.register(timer, 'timer');
    })();
    await gcUntil(() => collected.has('timer') && binding.debugCounts().uvHandles === 0, 'the timer in a cycle');
  });

  it('a handle whose timer has fired (one-shot, now inactive) is collectable again', async () => {
    const { registry, collected } = tracker();
    let fired = 0;
    (() => {
      const timer = new Timer();
      registry.register(timer, 'timer');
      timer.start(() => void fired++, 1);
    })();
    await until(() => fired === 1, 'the one-shot timer');
    await gcUntil(() => collected.has('timer') && binding.debugCounts().uvHandles === 0, 'the fired timer');
  });

  it('10,000 dropped, never-started handles are all collected and freed', async () => {
    const base = binding.debugCounts();
    (() => {
      for (let i = 0; i < 10_000; i++) {
        if (i % 2 === 0) new Timer();
        else new Prepare();
      }
    })();
    expect(binding.debugCounts().uvHandles).toBe(base.uvHandles + 10_000);
    await gcUntil(() => binding.debugCounts().uvHandles === base.uvHandles, '10,000 handles', 200);
    expect(binding.debugCounts()).toEqual(base);
  });
});

describe('private loops and GC', () => {
  it('a dropped private Loop with unreferenced inactive handles is collected; its finalizer closes them', async () => {
    const { registry, collected } = tracker();
    const base = binding.debugCounts();
    (() => {
      const loop = new Loop();
      registry.register(loop, 'loop');
      const timer = new Timer(loop);
      timer.start(() => {}, 1);
      timer.stop();
      const signal = new Signal(loop);
      signal.start(() => {}, 'SIGWINCH');
      signal.stop();
      new Prepare(loop);
      new Check(loop).start(() => {});
      // Runs once so the Check fires, then stop it: everything is inactive again.
      loop.run('nowait');
      for (const h of loop.handles) if (h instanceof Check) h.stop();
      // A handle closed earlier leaves nothing behind either.
      new Idle(loop).close();
      loop.run('nowait');
    })();
    expect(binding.debugCounts().loops).toBe(base.loops + 1);
    await gcUntil(
      () => collected.has('loop') && binding.debugCounts().loops === base.loops && binding.debugCounts().uvHandles === base.uvHandles,
      'the private loop and its handles',
    );
    expect(binding.debugCounts()).toEqual(base);
  });

  it('many dropped private loops, each with handles, are all collected without a crash', async () => {
    const base = binding.debugCounts();
    (() => {
      for (let i = 0; i < 50; i++) {
        const loop = new Loop();
        for (let j = 0; j < 10; j++) new Timer(loop);
        new Prepare(loop);
        if (i % 2 === 0) loop.run('nowait');
      }
    })();
    expect(binding.debugCounts().loops).toBe(base.loops + 50);
    await gcUntil(
      () => binding.debugCounts().loops === base.loops && binding.debugCounts().uvHandles === base.uvHandles,
      '50 private loops',
      200,
    );
    expect(binding.debugCounts()).toEqual(base);
  });

  it('a private loop is kept alive by its handles: dropping the loop alone does not collect it', async () => {
    const { registry, collected } = tracker();
    let timer: Timer | undefined;
    (() => {
      const loop = new Loop();
      registry.register(loop, 'loop');
      timer = new Timer(loop);
    })();
    for (let i = 0; i < 10; i++) {
      collect();
      await tick();
    }
    expect(collected.has('loop')).toBe(false);
    const kept = timer as Timer;
    let fired = 0;
    kept.start(() => void fired++, 1);
    kept.loop.run();
    expect(fired).toBe(1);
    kept.loop.close();
    expect(kept.closed).toBe(true);
  });
});

describe('GC while closing', () => {
  it('handle.closing after close(); gc() in the closing window does not crash and the close callback runs (Loop.default())', async () => {
    let closed = 0;
    let closingSeen = false;
    (() => {
      const timer = new Timer();
      timer.start(() => {}, 60_000);
      timer.close(() => void closed++);
      closingSeen = timer.closing && !timer.closed;
    })();
    for (let i = 0; i < 10; i++) collect(); // before Node's loop can run the close callback
    expect(closingSeen).toBe(true);
    await until(() => closed === 1, 'the close callback');
    await sleep(10);
    expect(closed).toBe(1);
  });

  it('the promise form of close() on a dropped handle resolves after gc()', async () => {
    const pending: Array<Promise<void>> = [];
    (() => {
      const prepare = new Prepare();
      prepare.start(() => {});
      pending.push(prepare.close());
      pending.push(new Timer().close());
    })();
    for (let i = 0; i < 10; i++) collect();
    await Promise.all(pending);
    await until(() => binding.debugCounts().uvHandles === 0, 'both handles freed');
  });

  it('on a private loop the closing window lasts until run(); gc() during it changes nothing', async () => {
    const loop = new Loop();
    const order: string[] = [];
    (() => {
      const timer = new Timer(loop);
      timer.start(() => {}, 60_000);
      timer.close(() => order.push('timer closed'));
      const check = new Check(loop);
      check.close(() => order.push('check closed'));
    })();
    for (let i = 0; i < 10; i++) {
      collect();
      await tick();
    }
    expect(order).toEqual([]);
    expect(loop.handles.every((h) => h.closing)).toBe(true);
    expect(loop.handles).toHaveLength(2);
    loop.run();
    expect([...order].sort()).toEqual(['check closed', 'timer closed']); // libuv runs close callbacks LIFO
    expect(loop.handles).toHaveLength(0);
    loop.close();
  });

  it('gc() inside a callback that just closed its own handle, and inside the close callback', () => {
    const loop = new Loop();
    let closed = 0;
    (() => {
      new Timer(loop).start((t) => {
        t.close(() => {
          collect();
          closed++;
        });
        collect();
      }, 1);
    })();
    collect();
    loop.run();
    expect(closed).toBe(1);
    loop.close();
  });
});

// UDP: MagicStack/uvloop #125 (reliability.md §3 row 11): datagram endpoints dropped without close()
// were closed by the GC later, after their fd number had been reused, and libuv aborted. Here a
// dropped socket keeps its fd until its finalizer closes it, so nothing else can have it meanwhile.
describe('UDP and GC', () => {
  const LOOPBACK = { address: '127.0.0.1', port: 0 };
  // Open fds of this process where the system lists them (Linux, macOS); elsewhere not compared.
  const fdDir = ['/proc/self/fd', '/dev/fd'].find((dir) => {
    try {
      return readdirSync(dir).length > 0;
    } catch {
      return false;
    }
  });
  const openFds = (): number => (fdDir === undefined ? 0 : readdirSync(fdDir).length);

  it('sockets bound and dropped without close(), round after round, are closed by the GC; live sockets beside them keep their fds and datagrams (uvloop #125)', async () => {
    const loop = new Loop();
    const base = binding.debugCounts();
    const fds = openFds();
    const receiver = new UDP();
    receiver.bind(LOOPBACK);
    const to = receiver.getsockname();
    const seen = new Set<number>();
    receiver.startRecv((error, data) => {
      if (error === null && data !== null && data.length === 2) seen.add(data.readUInt16BE(0));
    });
    const privateReceiver = new UDP(loop);
    privateReceiver.bind(LOOPBACK);
    const privateTo = privateReceiver.getsockname();
    let privateSeen = 0;
    privateReceiver.startRecvBatch((batch) => void (privateSeen += batch.length));
    const tag = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
    let sent = 0;
    let privateSent = 0;
    for (let round = 0; round < 20; round++) {
      (() => {
        for (let i = 0; i < 25; i++) {
          const udp = new UDP(i % 4 === 3 ? loop : undefined, i % 5 === 0 ? { family: 'IPv4' } : {});
          udp.bind(LOOPBACK);
          if (i % 3 === 1) {
            // received once, then stopped: inactive again, so collectable
            udp.startRecv(() => {});
            udp.stopRecv();
          }
          // A send in flight pins the socket until its callback; then it is collectable too.
          if (i % 4 !== 3 && i % 2 === 0) void udp.send(tag(sent++), to);
          if (i % 4 === 3 && i % 2 === 1) {
            void udp.send(tag(0), privateTo);
            privateSent++;
          }
        }
      })();
      collect();
      await tick();
      loop.run('nowait');
      const fromKept = new UDP();
      fromKept.send(tag(sent++), to, () => fromKept.close());
    }
    await until(() => seen.size === sent, `all ${sent} datagrams at the receiver on Node's loop (got ${seen.size})`);
    for (let i = 0; i < 20 && privateSeen < privateSent; i++) {
      loop.run('nowait');
      await tick();
    }
    expect(privateSeen).toBe(privateSent);
    expect(receiver.fileno()).toBeGreaterThan(2);
    receiver.close();
    privateReceiver.close();
    await gcUntil(() => {
      loop.run('nowait');
      const counts = binding.debugCounts();
      return counts.handles === base.handles && counts.uvHandles === base.uvHandles && openFds() === fds;
    }, '500 dropped sockets and their fds', 200);
    loop.close();
  });

  it('a receiving UDP (plain or batched) whose references are all dropped stays alive and keeps receiving after gc()', async () => {
    const { registry, collected } = tracker();
    const got = { plain: 0, batch: 0 };
    const targets: SocketAddress[] = [];
    (() => {
      // The callbacks reach their socket only through `this`: no closure keeps it alive.
      const plain = new UDP();
      plain.bind(LOOPBACK);
      registry.register(plain, 'plain');
      plain.startRecv(function (this: UDP, error) {
        if (error === null && ++got.plain === 10) this.close();
      });
      targets.push(plain.getsockname());
      const batched = new UDP(undefined, { recvmmsg: true });
      batched.bind(LOOPBACK);
      registry.register(batched, 'batch');
      batched.startRecvBatch(function (this: UDP, batch) {
        got.batch += batch.length;
        if (got.batch >= 10 && !this.closing) this.close();
      }, { buffer: new Uint8Array(256) });
      targets.push(batched.getsockname());
    })();
    for (let i = 0; i < 10; i++) {
      collect();
      await tick();
    }
    expect(collected.size).toBe(0);
    const sender = new UDP();
    for (let i = 0; i < 10; i++) {
      for (const to of targets) await sender.send(Buffer.from([i]), to);
      collect();
    }
    await until(() => got.plain === 10 && got.batch === 10, `20 datagrams (got ${JSON.stringify(got)})`);
    sender.close();
    // Closed by their own callbacks: now they go.
    await gcUntil(() => collected.has('plain') && collected.has('batch') && binding.debugCounts().uvHandles === 0, 'both closed sockets');
  });

  it('a UDP with sends in flight is not collected before their callbacks; the bytes sent are the ones it was given', async () => {
    const { registry, collected } = tracker();
    const loop = new Loop();
    const receiver = new UDP(loop);
    receiver.bind(LOOPBACK);
    const to = receiver.getsockname();
    const bytes: number[] = [];
    receiver.startRecv((error, data) => {
      if (error === null && data !== null) bytes.push(...data);
    });
    const done: Array<string | null> = [];
    (() => {
      const udp = new UDP(loop);
      registry.register(udp, 'private');
      // Private loop: every completion waits for run(); the data goes with nothing else holding it.
      for (let i = 0; i < 20; i++) udp.send(Buffer.alloc(1, i), to, (error) => done.push(error === null ? null : error.code));
      const onNode = new UDP();
      registry.register(onNode, 'node');
      for (let i = 0; i < 20; i++) onNode.send(Buffer.alloc(1, 100 + i), to, (error) => done.push(error === null ? null : error.code));
    })();
    for (let i = 0; i < 10; i++) collect(); // before any completion could run
    expect(collected.size).toBe(0);
    for (let i = 0; i < 50 && (done.length < 40 || bytes.length < 40); i++) {
      loop.run('nowait');
      await tick();
    }
    expect(done).toEqual(new Array(40).fill(null));
    expect(bytes.sort((a, b) => a - b)).toEqual([...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 100 + i)]);
    // Idle now: collectable, and the finalizer closes them.
    await gcUntil(() => {
      loop.run('nowait');
      return collected.has('private') && collected.has('node');
    }, 'both senders after their sends completed');
    receiver.close();
    loop.run();
    loop.close();
  });
});

describe('Poll, FSEvent, FSPoll and GC', () => {
  // Directories and the pseudo-terminal master the Poll watches (always writable: a ready fd).
  let dir = '';
  let pty = -1;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'uvkit-gc-'));
    pty = openSync('/dev/ptmx', 'r+');
  });
  afterAll(() => {
    closeSync(pty);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an active Poll, FSEvent and FSPoll whose references are all dropped keep reporting through gc()', async () => {
    const { registry, collected } = tracker();
    const calls = { poll: 0, fsEvent: 0, fsPoll: 0 };
    const file = path.join(dir, 'appears');
    (() => {
      const poll = new Poll(pty);
      registry.register(poll, 'poll');
      poll.start(constants.poll.WRITABLE, function () {
        if (++calls.poll === 20) this.close();
      });
      const fsEvent = new FSEvent();
      registry.register(fsEvent, 'fsEvent');
      fsEvent.start(dir, function (err, filename) {
        if (filename === 'appears' && ++calls.fsEvent === 1) this.close();
      });
      const fsPoll = new FSPoll();
      registry.register(fsPoll, 'fsPoll');
      fsPoll.start(file, 5, function (err) {
        if (++calls.fsPoll === 2) this.close(); // ENOENT, then the created file
      });
    })();
    for (let i = 0; i < 10; i++) {
      collect();
      await tick();
    }
    expect([...collected]).toEqual([]);
    await until(() => calls.fsPoll === 1, 'the first FSPoll report (ENOENT)');
    writeFileSync(file, 'now');
    await until(() => calls.poll === 20 && calls.fsEvent === 1 && calls.fsPoll === 2, 'every watcher’s reports after gc()');
    // Closed by their own callbacks: now collectable.
    await gcUntil(() => collected.size === 3 && binding.debugCounts().uvHandles === 0, 'the three closed watchers');
  });

  it('dropped inactive ones are collected and freed; a collected Poll’s fd may have a new Poll at once', async () => {
    const { registry, collected } = tracker();
    const loop = new Loop();
    const base = binding.debugCounts();
    (() => {
      const poll = new Poll(loop, pty);
      poll.start(constants.poll.WRITABLE, () => {});
      poll.stop();
      registry.register(poll, 'poll');
      const fsEvent = new FSEvent(loop);
      fsEvent.start(dir, () => {});
      fsEvent.stop();
      registry.register(fsEvent, 'fsEvent');
      const fsPoll = new FSPoll(loop);
      fsPoll.start(dir, 1, () => {});
      fsPoll.stop(); // its first stat is still on the thread pool
      registry.register(fsPoll, 'fsPoll');
    })();
    expectUVError(() => new Poll(loop, pty), 'EEXIST', 'uv_poll_init');
    // The native finalizers (which release the fd) run after the FinalizationRegistry callbacks.
    await gcUntil(() => collected.size === 3 && binding.debugCounts().handles === base.handles, 'three inactive watchers');
    const again = new Poll(loop, pty);
    expect(again.fileno()).toBe(pty);
    again.close();
    loop.close(); // runs the close callbacks, and the FSPoll's stat to its end
    const { handles, uvHandles } = binding.debugCounts();
    expect({ handles, uvHandles }).toEqual({ handles: base.handles, uvHandles: base.uvHandles });
  });
});
