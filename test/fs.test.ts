// fs requests (API.md "fs"; DESIGN.md "Lifetime" rule 5 and "Calling into JS"): how requests run,
// complete and end, whatever the op. The ops one by one are in fs-ops.test.ts.
// - { loop }: requests on a private loop (run(), promise form too); 500 requests in flight on Node's
//   loop and on a private loop at once, each callback exactly once with its own result (the slots
//   and the batched completion records are not mixed up);
// - callbacks that throw (one, several): a private loop's run() rethrows each once, onError gets them
//   (handle null), on Node's loop onError or 'uncaughtException' (child process); the other callbacks
//   of the same batch still run;
// - loop.close() with requests in flight waits for them, and their callbacks run inside it;
// - cancellation: with every thread-pool thread blocked (opens of a FIFO nobody writes to), a queued
//   request's cancel() returns true and its callback gets ECANCELED exactly once; cancel() of a
//   finished (or already cancelled) request returns false; the promise form with an AbortSignal
//   (aborted before: rejected with ECANCELED, nothing started; aborted while queued: ECANCELED,
//   nothing done; aborted after: no effect); the blocked threads are always released;
// - Stats cross-check: 200 random files, directories and symlinks, every field of statSync /
//   lstatSync / stat (promise, batched) / fstat equal to Node's;
// - GC: requests whose objects and buffers nothing refers to still complete into those buffers; a Dir
//   dropped without close() is closed by its FinalizationRegistry (the fd count comes back down).
// Callbacks only record what happened; the assertions run afterwards in the test body.
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import * as nfs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { slotCount } from '../src/ts/fs_queue.js';
import { errors, fs, FsRequest, Loop, Stats, UVError } from '../src/ts/index.js';
import { capture, codeOrNull, NO_THROW, thrown, tick, within } from './helpers/assert.js';
import { resultOf, runNode } from './helpers/child.js';
import { runToEnd, runUntil, until } from './helpers/loop.js';

// ---------------------------------------------------------------------------------------------
// helpers

let dir = '';
beforeEach(() => {
  dir = nfs.realpathSync(nfs.mkdtempSync(path.join(tmpdir(), 'uvkit-fs-')));
});
afterEach(() => {
  nfs.rmSync(dir, { recursive: true, force: true });
});

const at = (...parts: string[]): string => path.join(dir, ...parts);

/** `count` files f0..f{count-1}, file i holding i bytes (so a stat's size tells which file it was). */
function files(count: number): string[] {
  const list: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = at(`f${i}`);
    nfs.writeFileSync(p, Buffer.alloc(i, 0x61));
    list.push(p);
  }
  return list;
}

const inFlight = (): number => binding.debugCounts().fsRequests;

/** libuv's thread-pool size in this process (UV_THREADPOOL_SIZE, as libuv reads it; default 4). */
const POOL = ((): number => {
  const n = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  if (!Number.isFinite(n)) return 4;
  return Math.min(1024, Math.max(1, n));
})();

interface Blocker {
  /** Lets the blocked opens finish (and closes what they opened); waits for their callbacks. */
  release(): Promise<void>;
}

let fifos = 0;

/**
 * Blocks every thread-pool thread: POOL opens (O_RDONLY) of a FIFO nobody has open for writing,
 * each blocking in open(2). Requests started after them wait in libuv's queue until release(),
 * which opens the FIFO O_RDWR (never blocks; it counts as a writer) so the opens return.
 */
function blockPool(loop?: Loop): Blocker {
  const fifo = at(`fifo-${fifos++}`);
  execFileSync('mkfifo', [fifo]);
  const opened: number[] = [];
  let finished = 0;
  const options = loop === undefined ? {} : { loop };
  for (let i = 0; i < POOL; i++) {
    fs.open(fifo, 'r', undefined, options, (err, fd) => {
      finished++;
      if (err === null) opened.push(fd!);
    });
  }
  return {
    async release() {
      const writer = nfs.openSync(fifo, nfs.constants.O_RDWR);
      try {
        if (loop === undefined) await until(() => finished === POOL, 'the blocked opens');
        else runUntil(loop, () => finished === POOL, 'the blocked opens');
      } finally {
        for (const fd of opened) nfs.closeSync(fd);
        nfs.closeSync(writer);
      }
      expect(opened).toHaveLength(POOL);
    },
  };
}

/** Runs `body` with the pool blocked, releasing it whatever happens. */
async function withBlockedPool(body: (blocker: Blocker) => Promise<void> | void, loop?: Loop): Promise<void> {
  const blocker = blockPool(loop);
  let released = false;
  try {
    await body({
      release: async () => {
        released = true;
        await blocker.release();
      },
    });
  } finally {
    if (!released) await blocker.release();
  }
}

interface Outcome {
  calls: number;
  code: unknown;
  value: unknown;
}

/** A callback that records each call into `outcome`. */
function recorder(): { outcome: Outcome; cb: (err: UVError | null, value?: unknown) => void } {
  const outcome: Outcome = { calls: 0, code: undefined, value: undefined };
  return {
    outcome,
    cb: (err, value) => {
      outcome.calls++;
      outcome.code = codeOrNull(err);
      outcome.value = value;
    },
  };
}

const settled = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

// ---------------------------------------------------------------------------------------------
// { loop }

describe('requests on a private loop', () => {
  it('run only when the loop runs; callbacks and promises get their results', async () => {
    const loop = new Loop();
    const [p] = files(4).slice(3);
    const { outcome, cb } = recorder();
    const request = fs.stat(p!, { loop }, cb);
    expect(request).toBeInstanceOf(FsRequest);
    const promise = fs.readlink(at('missing'), { loop });
    const settledPromise = settled(promise);
    for (let i = 0; i < 5; i++) await tick();
    expect(outcome.calls).toBe(0); // Node's loop turning does not run a private loop's requests
    expect(inFlight()).toBe(2); // libuv calls them back only from the private loop's run()
    runToEnd(loop);
    expect(outcome.calls).toBe(1);
    expect(outcome.code).toBeNull();
    expect((outcome.value as Stats).size).toBe(3);
    const result = (await settledPromise) as { error?: UVError };
    expect(result.error).toBeInstanceOf(UVError);
    expect(result.error?.code).toBe('ENOENT');
    expect(inFlight()).toBe(0);
    expect(request.cancel()).toBe(false);
    loop.close();
  });

  it('a callback that starts the next request on the same loop: a chain of 50 in one run()', () => {
    const loop = new Loop();
    const [p] = files(2).slice(1);
    let steps = 0;
    const next = (): void => {
      fs.stat(p!, { loop }, (err) => {
        if (err === null && ++steps < 50) next();
      });
    };
    next();
    runToEnd(loop);
    expect(steps).toBe(50);
    loop.close();
  });

  it('Loop.default() as options.loop is Node’s loop', async () => {
    const { outcome, cb } = recorder();
    fs.stat(dir, { loop: Loop.default() }, cb);
    await until(() => outcome.calls > 0, 'the callback');
    expect(outcome.code).toBeNull();
  });
});

describe('async context', () => {
  type Seen = Array<[string, string | undefined]>;
  const als = new AsyncLocalStorage<string>();

  it('callbacks on Node’s loop run in their caller’s AsyncLocalStorage context, as Node’s fs callbacks do', async () => {
    const [file] = files(1);
    const fd = nfs.openSync(file!, 'r');
    const seen: Seen = [];
    const note = (what: string) => () => seen.push([what, als.getStore()]);
    try {
      // Requests of two contexts in flight together: each callback sees its own caller's store.
      for (const store of ['a', 'b']) {
        als.run(store, () => {
          fs.stat(file!, note(`stat ${store}`));
          fs.stat(at('missing'), note(`ENOENT ${store}`)); // a failure
          fs.read(fd, Buffer.alloc(8), 0, 8, 0, note(`read ${store}`)); // a cached read (no thread-pool trip)
          fs.open(file!, 'r', undefined, {}, (err, opened) => {
            seen.push([`open ${store}`, als.getStore()]);
            if (err === null) nfs.closeSync(opened!);
          });
        });
      }
      await until(() => seen.length === 8, 'the eight callbacks');
    } finally {
      nfs.closeSync(fd);
    }
    expect(seen.filter(([what, store]) => !what.endsWith(` ${store}`))).toEqual([]);
    expect(als.getStore()).toBeUndefined(); // nothing leaked into this context
  });

  it('Dir.read and Dir.close callbacks too, including a read queued behind another one in a different context', async () => {
    const d = fs.opendirSync(dir, { bufferSize: 1 });
    const seen: Seen = [];
    als.run('first', () => d.read(() => seen.push(['read first', als.getStore()])));
    als.run('second', () => d.read(() => seen.push(['read second', als.getStore()]))); // waits for the first
    als.run('third', () => d.close(() => seen.push(['close third', als.getStore()])));
    await until(() => seen.length === 3, 'the three callbacks');
    expect(seen).toEqual([
      ['read first', 'first'],
      ['read second', 'second'],
      ['close third', 'third'],
    ]);
  });

  it('promise forms resume in the awaiting context', async () => {
    const [file] = files(1);
    const stores = await Promise.all(
      ['x', 'y'].map((store) =>
        als.run(store, async () => {
          await fs.stat(file!);
          return als.getStore();
        }),
      ),
    );
    expect(stores).toEqual(['x', 'y']);
  });
});

describe('many requests in flight', () => {
  const N = 500;

  function startMany(paths: string[], loop: Loop | undefined, results: Array<number | string>, calls: number[]): void {
    const options = loop === undefined ? {} : { loop };
    for (let i = 0; i < N; i++) {
      const file = i % 7 === 6 ? at(`missing-${i}`) : paths[i % paths.length]!;
      fs.stat(file, options, (err, st) => {
        calls[i] = (calls[i] ?? 0) + 1;
        results[i] = err === null ? st!.size : `${err.code} ${err.path}`;
      });
    }
  }

  function expected(paths: string[]): Array<number | string> {
    return Array.from({ length: N }, (_, i) => (i % 7 === 6 ? `ENOENT ${at(`missing-${i}`)}` : i % paths.length));
  }

  it(`${N} stats on Node’s loop and ${N} on a private loop at once: every callback once, each with its own file’s result`, async () => {
    const paths = files(40);
    const loop = new Loop();
    const nodeResults: Array<number | string> = [];
    const nodeCalls: number[] = [];
    const privateResults: Array<number | string> = [];
    const privateCalls: number[] = [];
    startMany(paths, undefined, nodeResults, nodeCalls);
    startMany(paths, loop, privateResults, privateCalls);
    expect(inFlight()).toBeGreaterThan(0);
    runToEnd(loop); // blocks Node's loop meanwhile: its completions wait
    expect(privateCalls).toEqual(Array(N).fill(1));
    expect(privateResults).toEqual(expected(paths));
    await until(() => nodeCalls.filter(Boolean).length === N, `${N} callbacks on Node's loop`);
    for (let i = 0; i < 5; i++) await tick();
    expect(nodeCalls).toEqual(Array(N).fill(1));
    expect(nodeResults).toEqual(expected(paths));
    expect(inFlight()).toBe(0);
    loop.close();
  });

  it(`${N} promises of different ops at once resolve each with its own value`, async () => {
    const paths = files(20);
    const loop = new Loop();
    const ops = Array.from({ length: N }, (_, i) => {
      const options = i % 2 === 0 ? {} : { loop };
      switch (i % 4) {
        case 0:
          return fs.stat(paths[i % 20]!, options).then((s) => s.size);
        case 1:
          return fs.access(paths[i % 20]!, undefined, options).then(() => 'ok');
        case 2:
          return fs.scandir(dir, options).then((list) => list.length);
        default:
          return fs.realpath(path.join(dir, '.', `f${i % 20}`), options);
      }
    });
    runToEnd(loop);
    const values = await Promise.all(ops);
    expect(values).toEqual(Array.from({ length: N }, (_, i) => [i % 20, 'ok', 20, paths[i % 20]][i % 4]));
    loop.close();
  });

  it('request slots are reused: 20 rounds of 100 requests leave nothing in flight', async () => {
    const paths = files(5);
    for (let round = 0; round < 20; round++) {
      const sizes = await Promise.all(Array.from({ length: 100 }, (_, i) => fs.stat(paths[i % 5]!).then((s) => s.size)));
      expect(sizes).toEqual(Array.from({ length: 100 }, (_, i) => i % 5));
    }
    expect(inFlight()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Callbacks that throw

describe('callbacks that throw', () => {
  it('on a private loop: run() rethrows the error; the other callbacks still run, each once', () => {
    const loop = new Loop();
    const boom = new Error('boom');
    const calls: number[] = [];
    for (let i = 0; i < 10; i++) {
      fs.stat(dir, { loop }, () => {
        calls.push(i);
        if (i === 4) throw boom;
      });
    }
    const caught: unknown[] = [];
    for (let i = 0; i < 20 && calls.length < 10; i++) {
      const error = capture(() => loop.run());
      if (error !== NO_THROW) caught.push(error);
    }
    expect(caught).toEqual([boom]);
    expect(loop.run()).toBe(false); // reported once
    expect(calls.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    loop.close();
  });

  it('several throw: each run() rethrows the next one, none lost, none twice', () => {
    const loop = new Loop();
    const thrownErrors = Array.from({ length: 5 }, (_, i) => new Error(`e${i}`));
    let calls = 0;
    for (let i = 0; i < 20; i++) {
      fs.stat(dir, { loop }, () => {
        calls++;
        if (i % 4 === 0) throw thrownErrors[i / 4];
      });
    }
    const caught: unknown[] = [];
    for (let i = 0; i < 50; i++) {
      const error = capture(() => loop.run());
      if (error === NO_THROW && calls === 20) break;
      if (error !== NO_THROW) caught.push(error);
    }
    expect(calls).toBe(20);
    expect(new Set(caught).size).toBe(5);
    expect([...caught].sort((a, b) => String(a).localeCompare(String(b)))).toEqual(thrownErrors);
    loop.close();
  });

  it('with onError on a private loop: the handler gets each error and a null handle; run() does not throw', () => {
    const loop = new Loop();
    const seen: Array<[unknown, unknown, boolean]> = [];
    loop.onError = function (this: unknown, error, handle) {
      seen.push([error, handle, this === loop]);
    };
    const a = new Error('a');
    const b = new Error('b');
    let calls = 0;
    fs.stat(dir, { loop }, () => {
      calls++;
      throw a;
    });
    fs.stat(dir, { loop }, () => {
      calls++;
      throw b;
    });
    fs.stat(dir, { loop }, () => void calls++);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(3);
    expect(seen.map(([e]) => e).sort((x, y) => String(x).localeCompare(String(y)))).toEqual([a, b]);
    for (const [, handle, isLoop] of seen) {
      expect(handle).toBeNull();
      expect(isLoop).toBe(true);
    }
    loop.close();
  });

  it('on Node’s loop with onError set: each error reaches it once (handle null) and later requests still complete', async () => {
    const loop = Loop.default();
    const seen: unknown[] = [];
    const handles: unknown[] = [];
    loop.onError = (error, handle) => {
      seen.push(error);
      handles.push(handle);
    };
    try {
      const errorsThrown = [new Error('x'), new Error('y'), new Error('z')];
      let calls = 0;
      for (let i = 0; i < 9; i++) {
        fs.stat(dir, () => {
          calls++;
          if (i % 3 === 0) throw errorsThrown[i / 3];
        });
      }
      await until(() => calls === 9, 'nine callbacks');
      for (let i = 0; i < 3; i++) await tick();
      expect(calls).toBe(9);
      expect(new Set(seen).size).toBe(3);
      expect([...seen].sort((a, b) => String(a).localeCompare(String(b)))).toEqual(errorsThrown);
      expect(handles).toEqual([null, null, null]); // fs errors belong to no handle
      expect((await fs.stat(dir)).isDirectory()).toBe(true);
    } finally {
      loop.onError = null;
    }
  });

  it('on Node’s loop without onError: each error goes to process "uncaughtException" once and the process goes on (child process)', async () => {
    const script = `
      import { fs } from './dist/index.js';
      const caught = [];
      process.on('uncaughtException', (error) => caught.push(error.message));
      let calls = 0;
      for (let i = 0; i < 6; i++) fs.stat('.', () => { calls++; if (i % 2 === 0) throw new Error('boom' + i); });
      fs.stat('.').then(() => setTimeout(() => console.log('RESULT ' + JSON.stringify({ calls, caught: caught.sort() })), 20));
    `;
    const result = await runNode(['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(resultOf(result)).toEqual({ calls: 6, caught: ['boom0', 'boom2', 'boom4'] });
  });

  it('without any handler a throwing fs callback ends the process with exit 1 and its stack (child process)', async () => {
    const script = `
      import { fs } from './dist/index.js';
      fs.stat('.', () => { throw new Error('unhandled fs boom'); });
      setTimeout(() => console.log('STILL-RUNNING'), 200);
    `;
    const result = await runNode(['--input-type=module', '-e', script]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Error: unhandled fs boom');
    expect(result.stdout).not.toContain('STILL-RUNNING');
  });
});

// ---------------------------------------------------------------------------------------------
// loop.close() with requests in flight

describe('loop.close() with requests in flight', () => {
  it('waits for them: every callback runs inside close(), once, with its result', async () => {
    const paths = files(10);
    const loop = new Loop();
    const calls: number[] = Array(100).fill(0);
    const sizes: number[] = [];
    for (let i = 0; i < 100; i++) {
      fs.stat(paths[i % 10]!, { loop }, (err, st) => {
        calls[i]!++;
        if (err === null) sizes[i] = st!.size;
      });
    }
    const promise = fs.stat(paths[3]!, { loop });
    const out = nfs.openSync(at('out'), 'w');
    const written = fs.write(out, Buffer.from('data'), undefined, undefined, undefined, { loop });
    try {
      loop.close();
    } finally {
      nfs.closeSync(out);
    }
    expect(loop.closed).toBe(true);
    expect(calls).toEqual(Array(100).fill(1));
    expect(sizes).toEqual(Array.from({ length: 100 }, (_, i) => i % 10));
    expect(inFlight()).toBe(0);
    expect((await promise).size).toBe(3);
    expect(await written).toBe(4);
    expect(nfs.readFileSync(at('out'), 'utf8')).toBe('data');
  });

  it('a request started from a callback during close() throws ERR_LOOP_CLOSED synchronously (nothing starts)', () => {
    const loop = new Loop();
    let error: unknown = NO_THROW;
    fs.stat(dir, { loop }, () => {
      error = capture(() => fs.stat(dir, { loop }, () => {}));
    });
    loop.close();
    expect(error).toMatchObject({ code: 'ERR_LOOP_CLOSED' });
    expect(inFlight()).toBe(0);
  });

  it('a closed loop is refused synchronously in every async form, with no side effect', () => {
    const loop = new Loop();
    loop.close();
    const target = at('never');
    expect(capture(() => fs.mkdir(target, undefined, { loop }, () => {}))).toMatchObject({ code: 'ERR_LOOP_CLOSED' });
    expect(capture(() => fs.mkdir(target, undefined, { loop }))).toMatchObject({ code: 'ERR_LOOP_CLOSED' });
    expect(nfs.existsSync(target)).toBe(false);
    expect(inFlight()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Cancellation

describe('cancellation', () => {
  it(`with the ${POOL} pool threads blocked, cancel() of a queued request returns true and its callback gets ECANCELED exactly once`, async () => {
    const target = at('made-by-cancelled');
    const { outcome, cb } = recorder();
    let request: FsRequest<void> | undefined;
    await withBlockedPool(async (blocker) => {
      request = fs.mkdir(target, 0o755, cb);
      expect(request.cancel()).toBe(true);
      expect(request.cancel()).toBe(false); // already cancelled
      expect(outcome.calls).toBe(0); // never synchronously
      await until(() => outcome.calls > 0, 'the cancelled callback'); // arrives while the pool is still blocked
      expect(outcome.code).toBe('ECANCELED');
      await blocker.release();
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(outcome.calls).toBe(1);
    expect(nfs.existsSync(target)).toBe(false); // it never ran
    expect(request!.cancel()).toBe(false);
  });

  it('the ECANCELED error is a UVError with errno, syscall and path', async () => {
    let error: unknown;
    await withBlockedPool(async () => {
      const request = fs.rename(at('a'), at('b'), (err) => (error = err));
      expect(request.cancel()).toBe(true);
      await until(() => error !== undefined, 'the callback');
    });
    expect(error).toBeInstanceOf(UVError);
    expect(error).toMatchObject({ code: 'ECANCELED', errno: errors.codes.ECANCELED, syscall: 'rename', path: at('a'), dest: at('b') });
  });

  it('cancel() of a finished request returns false, also inside its own callback', async () => {
    let inside: boolean | undefined;
    const request: FsRequest<Stats> = fs.stat(dir, () => {
      inside = request.cancel();
    });
    await until(() => inside !== undefined, 'the callback');
    expect(inside).toBe(false);
    expect(request.cancel()).toBe(false);
  });

  it('500 queued requests, every other one cancelled: exactly those get ECANCELED, the rest their results, all once', async () => {
    const paths = files(10);
    const outcomes: Outcome[] = [];
    const cancelled: boolean[] = [];
    await withBlockedPool(async (blocker) => {
      const requests: Array<FsRequest<Stats>> = [];
      for (let i = 0; i < 500; i++) {
        const { outcome, cb } = recorder();
        outcomes.push(outcome);
        requests.push(fs.stat(paths[i % 10]!, cb));
      }
      for (let i = 0; i < 500; i += 2) cancelled[i] = requests[i]!.cancel();
      await until(() => outcomes.filter((o, i) => i % 2 === 0 && o.calls > 0).length === 250, 'the cancelled callbacks');
      expect(outcomes.filter((o, i) => i % 2 === 1 && o.calls > 0)).toHaveLength(0); // the rest still wait
      await blocker.release();
    });
    await until(() => outcomes.every((o) => o.calls > 0), 'every callback');
    for (let i = 0; i < 5; i++) await tick();
    expect(cancelled.filter((c) => c === true)).toHaveLength(250);
    outcomes.forEach((o, i) => {
      expect(o.calls, `request ${i}`).toBe(1);
      if (i % 2 === 0) expect(o.code, `request ${i}`).toBe('ECANCELED');
      else expect([o.code, (o.value as Stats).size], `request ${i}`).toEqual([null, i % 10]);
    });
  });

  it('on a private loop: the cancelled callback comes when the loop runs, the others after the release', async () => {
    const loop = new Loop();
    const a = recorder();
    const b = recorder();
    await withBlockedPool(async (blocker) => {
      const queued = fs.stat(dir, { loop }, a.cb);
      fs.stat(dir, { loop }, b.cb);
      expect(queued.cancel()).toBe(true);
      runUntil(loop, () => a.outcome.calls > 0, 'the cancelled callback');
      expect(a.outcome.code).toBe('ECANCELED');
      expect(b.outcome.calls).toBe(0);
      await blocker.release();
      runUntil(loop, () => b.outcome.calls > 0, 'the other callback');
    }, loop);
    runToEnd(loop);
    expect([a.outcome.calls, b.outcome.calls, b.outcome.code]).toEqual([1, 1, null]);
    loop.close();
  });

  it('many requests at once, cancelled while the pool works: cancel() is true exactly for those that end in ECANCELED', async () => {
    const paths = files(10);
    const outcomes: Outcome[] = [];
    const requests: Array<FsRequest<Stats>> = [];
    for (let i = 0; i < 2000; i++) {
      const { outcome, cb } = recorder();
      outcomes.push(outcome);
      requests.push(fs.stat(paths[i % 10]!, cb));
    }
    const cancelled = requests.map((r) => r.cancel());
    await until(() => outcomes.every((o) => o.calls > 0), 'every callback');
    for (let i = 0; i < 3; i++) await tick();
    outcomes.forEach((o, i) => {
      expect(o.calls).toBe(1);
      expect(o.code === 'ECANCELED', `request ${i}`).toBe(cancelled[i]);
      if (!cancelled[i]) expect((o.value as Stats).size).toBe(i % 10);
    });
  });

  describe('promises with an AbortSignal', () => {
    it('aborted before the call: rejects with ECANCELED at once and starts nothing', async () => {
      const controller = new AbortController();
      controller.abort();
      const target = at('never');
      const promise = fs.mkdir(target, undefined, { signal: controller.signal });
      expect(inFlight()).toBe(0);
      const error = ((await settled(promise)) as { error?: unknown }).error;
      expect(error).toBeInstanceOf(UVError);
      expect(error).toMatchObject({ code: 'ECANCELED', errno: errors.codes.ECANCELED, syscall: 'mkdir', path: target });
      for (let i = 0; i < 5; i++) await tick();
      expect(nfs.existsSync(target)).toBe(false);
    });

    it('aborted while queued: rejects with ECANCELED and the op never runs', async () => {
      const controller = new AbortController();
      const target = at('never');
      let result: unknown;
      await withBlockedPool(async (blocker) => {
        const promise = fs.mkdir(target, undefined, { signal: controller.signal });
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
        controller.abort();
        result = await settled(promise);
        await blocker.release();
      });
      expect((result as { error?: UVError }).error?.code).toBe('ECANCELED');
      for (let i = 0; i < 5; i++) await tick();
      expect(nfs.existsSync(target)).toBe(false);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('aborted while queued on a private loop: rejects with ECANCELED once the loop runs', async () => {
      const loop = new Loop();
      const controller = new AbortController();
      let result: unknown;
      await withBlockedPool(async (blocker) => {
        const promise = settled(fs.stat(dir, { loop, signal: controller.signal }));
        controller.abort();
        runUntil(loop, () => inFlight() === POOL, 'the cancelled request'); // libuv called it back
        loop.run('nowait');
        result = await within(promise, 5_000, 'the rejection');
        await blocker.release();
      }, loop);
      expect((result as { error?: UVError }).error?.code).toBe('ECANCELED');
      loop.close();
    });

    it('aborted after it settled: no effect; the listener was removed when it settled', async () => {
      const controller = new AbortController();
      const st = await fs.stat(dir, { signal: controller.signal });
      expect(st.isDirectory()).toBe(true);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      controller.abort();
      await expect(fs.stat(at('missing'), { signal: new AbortController().signal })).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it.skipIf(POOL < 2)('aborted while running (too late to cancel): the op completes and the promise gets its result', async () => {
      const controller = new AbortController();
      const fifo = at('fifo');
      execFileSync('mkfifo', [fifo]);
      const promise = settled(fs.open(fifo, 'r', undefined, { signal: controller.signal }));
      let writer: number | undefined;
      try {
        // libuv's queue is first in, first out: once a stat queued after the open has completed,
        // a thread has taken the open, which now blocks in open(2) and can no longer be cancelled.
        await fs.stat(dir);
        controller.abort();
        expect(inFlight()).toBe(1);
      } finally {
        writer = nfs.openSync(fifo, nfs.constants.O_RDWR);
      }
      const result = (await promise) as { value?: number; error?: UVError };
      nfs.closeSync(writer);
      expect(result.error).toBeUndefined();
      expect(Number.isInteger(result.value)).toBe(true);
      nfs.closeSync(result.value!);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Stats cross-check with Node

describe('Stats equal Node’s', () => {
  const NUMBER_FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'] as const;
  const DATE_FIELDS = ['atime', 'mtime', 'ctime', 'birthtime'] as const;

  /** A small seeded PRNG (mulberry32): the tree is reproducible from the seed in the failure. */
  function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** 200 random entries: directories (nested), files (random sizes, some sparse and huge), symlinks; random modes and times. */
  function tree(seed: number): string[] {
    const rnd = random(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const dirs = [dir];
    const entries: string[] = [];
    for (let i = 0; i < 200; i++) {
      const parent = dirs[int(dirs.length)]!;
      const p = path.join(parent, `e${i}`);
      const kind = int(10);
      if (kind < 3) {
        nfs.mkdirSync(p);
        dirs.push(p);
      } else if (kind < 9) {
        const size = int(4) === 0 ? int(2 ** 40) : int(70_000);
        if (size > 100_000) {
          nfs.writeFileSync(p, '');
          nfs.truncateSync(p, size); // sparse
        } else {
          nfs.writeFileSync(p, Buffer.alloc(size, i));
        }
        if (int(3) === 0) nfs.linkSync(p, `${p}-hard`);
      } else {
        nfs.symlinkSync(int(2) === 0 ? entries[int(entries.length)] ?? dir : 'dangling', p);
        entries.push(p);
        continue;
      }
      nfs.chmodSync(p, int(0o1000) | (kind < 3 ? 0o700 : 0)); // directories stay traversable
      // times with sub-millisecond parts, some before 1970, some far ahead
      const t = (): number => (int(5) === 0 ? -int(1e9) : int(4e9)) + int(1e9) / 1e9;
      nfs.utimesSync(p, t(), t());
      entries.push(p);
    }
    return entries;
  }

  function expectSame(ours: Stats, node: nfs.Stats, what: string): void {
    expect(ours).toBeInstanceOf(Stats);
    for (const key of NUMBER_FIELDS) expect(ours[key], `${what}: ${key}`).toBe(node[key]);
    for (const key of DATE_FIELDS) expect(ours[key].getTime(), `${what}: ${key}`).toBe(node[key].getTime());
    for (const is of ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket', 'isCharacterDevice', 'isBlockDevice'] as const) {
      expect(ours[is](), `${what}: ${is}()`).toBe(node[is]());
    }
  }

  const seed = Number(process.env.UVKIT_FS_SEED ?? Date.now() % 1_000_000);

  it(`statSync and lstatSync of 200 random entries equal Node’s field for field (seed ${seed})`, () => {
    const entries = tree(seed);
    for (const p of entries) {
      expectSame(fs.lstatSync(p), nfs.lstatSync(p), `lstat ${p}`);
      const node = nfs.statSync(p, { throwIfNoEntry: false });
      if (node === undefined) {
        expect(capture(() => fs.statSync(p)), `stat ${p}`).toMatchObject({ code: 'ENOENT' }); // a dangling link
      } else {
        expectSame(fs.statSync(p), node, `stat ${p}`);
      }
    }
  });

  it(`stat (promise form, completions batched) and fstat of the same tree equal Node’s (seed ${seed})`, async () => {
    const entries = tree(seed).filter((p) => !nfs.lstatSync(p).isSymbolicLink());
    const ours = await Promise.all(entries.map((p) => fs.stat(p)));
    entries.forEach((p, i) => expectSame(ours[i]!, nfs.statSync(p), `stat ${p}`));
    for (const p of entries.slice(0, 50)) {
      const fd = nfs.openSync(p, 'r');
      try {
        expectSame(fs.fstatSync(fd), nfs.fstatSync(fd), `fstat ${p}`);
      } finally {
        nfs.closeSync(fd);
      }
    }
  });

  it('special files: /dev/null (a character device, rdev), a FIFO, a socket', async () => {
    expectSame(fs.statSync('/dev/null'), nfs.statSync('/dev/null'), '/dev/null');
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    execFileSync('mkfifo', [at('fifo')]);
    expectSame(await fs.stat(at('fifo')), nfs.statSync(at('fifo')), 'fifo');
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(at('sock'), resolve));
    try {
      expectSame(fs.statSync(at('sock')), nfs.statSync(at('sock')), 'socket');
      expect(fs.scandirSync(dir).find((e) => e.name === 'sock')?.isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// GC

describe('GC', () => {
  function collect(): void {
    if (typeof globalThis.gc !== 'function') throw new Error('these tests need node --expose-gc');
    globalThis.gc();
  }
  const openFds = (): number => nfs.readdirSync('/proc/self/fd').length;

  it('requests nothing refers to (their objects, callbacks’ closures only) complete after gc(), reads landing in their buffers', async () => {
    const content = Buffer.alloc(1 << 20, 0x5a);
    nfs.writeFileSync(at('data'), content);
    const fd = nfs.openSync(at('data'), 'r');
    const seen: boolean[] = [];
    try {
      (() => {
        for (let i = 0; i < 20; i++) {
          // The buffer's only reference is the request's (the callback gets it back as its third argument).
          fs.read(fd, Buffer.alloc(1 << 20), 0, 1 << 20, 0, (err, n, ...rest: unknown[]) => {
            seen.push(err === null && n === 1 << 20 && (rest[0] as Buffer).equals(content));
          });
        }
      })();
      for (let i = 0; i < 5; i++) collect();
      await until(() => seen.length === 20, 'twenty reads');
    } finally {
      nfs.closeSync(fd);
    }
    expect(seen).toEqual(Array(20).fill(true));
  });

  it('a finished request keeps nothing its callback held: the last fs call’s callback is collectable', async () => {
    let collected = false;
    const counting = new FinalizationRegistry<string>(() => void (collected = true));
    await (async () => {
      const held = { big: new Uint8Array(1024) };
      counting.register(held, 'held');
      await new Promise<void>((resolve) => fs.stat(dir, (err) => (held.big[0] = err === null ? 1 : 2, resolve())));
    })();
    // No fs call after it: nothing replaces what the module kept of the last call.
    for (let round = 0; round < 100 && !collected; round++) {
      collect();
      await tick();
    }
    expect(collected).toBe(true);
  });

  it('the buffer of the last read or write is not kept once the call is done (sync and callback forms)', async () => {
    const collected = new Set<string>();
    const counting = new FinalizationRegistry<string>((name) => void collected.add(name));
    const fd = nfs.openSync(at('io'), 'w+');
    try {
      await (async () => {
        const written = Buffer.alloc(1 << 16, 1);
        counting.register(written, 'written');
        expect(fs.writeSync(fd, written, 0, written.length, 0)).toBe(1 << 16);
        const read = Buffer.alloc(1 << 16);
        counting.register(read, 'read');
        await new Promise<void>((resolve, reject) => fs.read(fd, read, 0, read.length, 0, (err) => (err ? reject(err) : resolve())));
      })();
      for (let round = 0; round < 100 && collected.size < 2; round++) {
        collect();
        await tick();
      }
      expect([...collected].sort()).toEqual(['read', 'written']);
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('a private loop collected with requests in flight takes their callbacks and buffers with it; their slots come back', async () => {
    const content = Buffer.alloc(1 << 16, 7);
    nfs.writeFileSync(at('data'), content);
    const fd = nfs.openSync(at('data'), 'r');
    const slotsBefore = slotCount();
    try {
      for (let round = 0; round < 8; round++) {
        let collected = 0;
        const counting = new FinalizationRegistry<string>(() => void collected++);
        (() => {
          const loop = new Loop(); // never run: its requests can never complete
          counting.register(loop, 'loop');
          for (let i = 0; i < 8; i++) {
            const held = { bytes: new Uint8Array(1 << 10) };
            counting.register(held, 'callback');
            fs.stat(dir, { loop }, () => void held.bytes.fill(1));
            const buffer = Buffer.alloc(1 << 16); // only the request refers to it
            counting.register(buffer, 'buffer');
            fs.read(fd, buffer, 0, buffer.length, 0, { loop }, () => {});
          }
        })();
        for (let i = 0; i < 100 && collected < 17; i++) {
          collect();
          await tick();
        }
        expect(collected, `round ${round}: the loop, 8 callbacks' captures and 8 read buffers`).toBe(17);
        // Requests on Node's loop take slots again: the dropped ones are handed back, not new ones.
        await Promise.all(Array.from({ length: 16 }, () => fs.stat(dir)));
      }
      expect(inFlight()).toBe(0);
      expect(slotCount() - slotsBefore).toBeLessThanOrEqual(32);
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('a read blocked in a pool thread keeps its buffer while its private loop is collected, and the JS thread does not wait for it (child process; heap corruption before)', async () => {
    // The read waits on a FIFO in a pool thread; the loop, the request and the buffer are dropped
    // and collected; data arrives later and the kernel writes it into the buffer. Before the
    // native pin, the buffer's memory was freed by then (malloc aborted: "unsorted double linked
    // list corrupted").
    const script = `
      import { spawn, spawnSync } from 'node:child_process';
      import * as nfs from 'node:fs';
      import path from 'node:path';
      import { setTimeout as sleep } from 'node:timers/promises';
      import { fs, Loop } from './dist/index.js';
      import { binding } from './dist/binding.js';
      const fifo = path.join(${JSON.stringify(dir)}, 'fifo');
      spawnSync('mkfifo', [fifo]);
      const fd = nfs.openSync(fifo, nfs.constants.O_RDWR); // reads wait for data
      const SIZE = 64 * 1024;
      let ran = 0;
      const collected = [];
      const registry = new FinalizationRegistry((what) => collected.push(what));
      (() => {
        const loop = new Loop(); // never run
        const buffer = Buffer.alloc(SIZE);
        registry.register(loop, 'loop');
        registry.register(buffer, 'buffer');
        fs.read(fd, buffer, 0, SIZE, -1, { loop }, () => ran++);
      })();
      await sleep(100); // a pool thread is in read() now
      // The data comes while this thread may be busy collecting: the writer is another process.
      const writer = spawn('sh', ['-c', 'sleep 1.5; yes x | head -c ' + SIZE + ' > ' + fifo]);
      const written = new Promise((resolve) => writer.on('exit', resolve));
      // The JS thread must not wait for the blocked read (it used to, inside the loop's finalizer).
      let last = Date.now();
      let maxGap = 0;
      const ticker = setInterval(() => { maxGap = Math.max(maxGap, Date.now() - last); last = Date.now(); }, 20);
      for (let i = 0; i < 5; i++) { globalThis.gc(); await sleep(50); }
      const probes = Array.from({ length: 64 }, () => Buffer.alloc(SIZE, 0x11)); // would take freed memory
      await written;
      for (let i = 0; i < 20 && binding.debugCounts().fsRequests > 0; i++) await sleep(20);
      for (let i = 0; i < 5; i++) { globalThis.gc(); await sleep(10); }
      clearInterval(ticker);
      const corrupted = probes.filter((b) => b.some((x) => x !== 0x11)).length;
      nfs.closeSync(fd);
      console.log('RESULT ' + JSON.stringify({ ran, collected: collected.sort(), corrupted, blocked: maxGap > 1000, counts: binding.debugCounts() }));
    `;
    const result = await runNode(['--expose-gc', '--input-type=module', '-e', script]);
    expect(result.signal, result.stderr).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    expect(resultOf(result)).toEqual({
      ran: 0,
      collected: ['buffer', 'loop'],
      corrupted: 0,
      blocked: false,
      counts: { handles: 0, uvHandles: 0, fsRequests: 0, poolRequests: 0, loops: 0 },
    });
  });

  it('a Dir dropped without close() is closed by its FinalizationRegistry: the fd count comes back down', async () => {
    for (let i = 0; i < 5; i++) nfs.writeFileSync(at(`f${i}`), '');
    const base = openFds();
    let collected = 0;
    const counting = new FinalizationRegistry<number>(() => void collected++);
    await (async () => {
      for (let i = 0; i < 20; i++) {
        const d = i % 2 === 0 ? fs.opendirSync(dir, { bufferSize: 2 }) : await fs.opendir(dir);
        counting.register(d, i);
        if (i % 3 === 0) expect(d.readSync()).not.toBeNull(); // some partly read
        if (i % 3 === 1) expect(await d.read()).not.toBeNull();
      }
    })();
    expect(openFds()).toBe(base + 20);
    for (let round = 0; round < 200 && (openFds() > base || collected < 20); round++) {
      collect();
      await tick();
    }
    expect(collected).toBe(20);
    expect(openFds()).toBe(base);
  });

  it('a Dir that is still referenced stays open across gc() and reads on', async () => {
    for (let i = 0; i < 3; i++) nfs.writeFileSync(at(`f${i}`), '');
    const d = fs.opendirSync(dir, { bufferSize: 1 });
    const first = d.readSync();
    for (let i = 0; i < 5; i++) {
      collect();
      await tick();
    }
    const rest = [];
    for await (const e of d) rest.push(e.name);
    expect([first!.name, ...rest].sort()).toEqual(['f0', 'f1', 'f2']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('sync forms need no loop', () => {
  it('work while a private loop is running (from inside its callback) and on a closed loop’s thread alike', () => {
    const loop = new Loop();
    let inside: Stats | undefined;
    fs.stat(dir, { loop }, () => {
      inside = fs.statSync(dir);
    });
    runToEnd(loop);
    loop.close();
    expect(inside?.isDirectory()).toBe(true);
    expect(thrown(() => fs.statSync(at('missing')))).toBeInstanceOf(UVError);
  });
});
