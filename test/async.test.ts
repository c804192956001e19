// Async: waking a loop from another thread (pyuv tests/test_async.py and more).
//
// The worker side lives in fixtures/async-worker.mjs and imports the compiled library (dist/); it
// shares the native addon, and so the process-wide token registry, with this file's src/ts import.
// Threads synchronise through Int32Array slots over a SharedArrayBuffer (layout in the fixture).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Async, Check, Loop, Prepare, Timer, type AsyncToken } from '../src/ts/index.js';
import { until } from './helpers/loop.js';

const workerUrl = new URL('./fixtures/async-worker.mjs', import.meta.url);

type WorkerMode = 'acked' | 'delayed' | 'burst' | 'after-close' | 'hammer' | 'message';

interface WorkerInput {
  mode: WorkerMode;
  token?: AsyncToken;
  sab?: SharedArrayBuffer;
  count?: number;
  delayMs?: number;
}

interface SendResults {
  results: boolean[];
  received?: unknown;
}

interface HammerResults {
  trueCount: number;
  falseCount: number;
  trueAfterFalse: number;
  closedSeen: boolean;
}

interface WorkerRun {
  worker: Worker;
  messages: unknown[];
  /** Resolves once the worker exited; rejects if it threw. */
  done: Promise<{ code: number; messages: unknown[] }>;
}

function runWorker(input: WorkerInput): WorkerRun {
  const worker = new Worker(workerUrl, { workerData: input });
  const messages: unknown[] = [];
  let failure: unknown;
  worker.on('message', (message: unknown) => messages.push(message));
  worker.on('error', (error: unknown) => {
    failure = error;
  });
  const done = new Promise<{ code: number; messages: unknown[] }>((resolve, reject) => {
    worker.on('exit', (code) => {
      if (failure !== undefined) reject(failure instanceof Error ? failure : new Error(String(failure)));
      else resolve({ code, messages });
    });
  });
  return { worker, messages, done };
}

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function slots(): { sab: SharedArrayBuffer; sync: Int32Array } {
  const sab = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  return { sab, sync: new Int32Array(sab) };
}

/** The parent's acknowledgement: slot 0 = callbacks seen, and wake the worker. */
function acknowledge(sync: Int32Array, calls: number): void {
  Atomics.store(sync, 0, calls);
  Atomics.notify(sync, 0);
}

function markClosed(sync: Int32Array): void {
  Atomics.store(sync, 2, 1);
  Atomics.notify(sync, 2);
}

describe('Async woken from a worker thread (pyuv test_async1)', () => {
  it.each([3, 100])('gives exactly %i callbacks for as many acknowledged sends on Loop.default()', async (count) => {
    const { sab, sync } = slots();
    let calls = 0;
    const async = new Async(Loop.default(), (handle) => {
      expect(handle).toBe(async);
      calls++;
      acknowledge(sync, calls);
    });
    const run = runWorker({ mode: 'acked', token: async.sender(), sab, count });
    const { code, messages } = await run.done;
    expect(code).toBe(0);
    const [result] = messages as SendResults[];
    expect(result?.results).toEqual(new Array<boolean>(count).fill(true));
    // Give a stray extra callback the chance to show up before counting.
    await sleep(30);
    expect(calls).toBe(count);
    await async.close();
    expect(calls).toBe(count);
  });

  it('gives exactly as many callbacks on a private loop run by loop.run() in the main thread', async () => {
    const count = 20;
    const { sab, sync } = slots();
    const loop = new Loop();
    let calls = 0;
    let timedOut = false;
    const deadline = new Timer(loop);
    const async = new Async(loop, () => {
      calls++;
      acknowledge(sync, calls);
      if (calls === count) {
        async.close();
        deadline.close();
      }
    });
    deadline.start(() => {
      timedOut = true;
      async.close();
      deadline.close();
    }, 10_000);
    const run = runWorker({ mode: 'acked', token: async.sender(), sab, count });
    loop.run(); // blocks this thread; only the worker's sends can end it
    const { code, messages } = await run.done;
    expect(timedOut).toBe(false);
    expect(code).toBe(0);
    expect(calls).toBe(count);
    expect((messages[0] as SendResults).results.every((sent) => sent)).toBe(true);
    loop.close();
  });
});

describe('Async without a callback keeps a private loop blocked (pyuv test_async2)', () => {
  it('polls until a thread sends; prepare and check each run once', async () => {
    const { sab, sync } = slots();
    const loop = new Loop();
    const async = new Async(loop);
    const prepare = new Prepare(loop);
    const check = new Check(loop);
    let prepareCalls = 0;
    let checkCalls = 0;
    let workerFlagAtCheck = -1;
    prepare.start(() => {
      prepareCalls++;
      prepare.stop();
    });
    check.start(() => {
      checkCalls++;
      workerFlagAtCheck = Atomics.load(sync, 1);
      check.stop();
      async.close();
      prepare.close();
      check.close();
    });
    const started = Date.now();
    const run = runWorker({ mode: 'delayed', token: async.sender(), sab, delayMs: 50 });
    loop.run();
    const elapsed = Date.now() - started;
    const { code, messages } = await run.done;
    expect(code).toBe(0);
    expect((messages[0] as SendResults).results).toEqual([true]);
    expect(prepareCalls).toBe(1);
    expect(checkCalls).toBe(1);
    // The first poll returned only because the worker sent: it had flagged slot 1 before sending.
    expect(workerFlagAtCheck).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(40);
    loop.close();
  });
});

describe('sends coalesce', () => {
  it('several send() calls on the owning thread before the loop runs give one callback', () => {
    const loop = new Loop();
    let calls = 0;
    const async = new Async(loop, () => {
      calls++;
    });
    for (let i = 0; i < 5; i++) async.send();
    loop.run('nowait');
    expect(calls).toBe(1);
    async.send();
    async.send();
    loop.run('nowait');
    expect(calls).toBe(2);
    loop.run('nowait');
    expect(calls).toBe(2);
    async.close();
    loop.run();
    expect(calls).toBe(2);
    loop.close();
  });

  it('sends from a worker made before the loop runs give one callback', async () => {
    const { sab, sync } = slots();
    const loop = new Loop();
    let calls = 0;
    const async = new Async(loop, () => {
      calls++;
    });
    const run = runWorker({ mode: 'burst', token: async.sender(), sab, count: 10 });
    // Block this thread (the loop is not running) until the worker has made all its sends.
    const deadline = Date.now() + 10_000;
    while (Atomics.load(sync, 1) === 0 && Date.now() < deadline) Atomics.wait(sync, 1, 0, 100);
    expect(Atomics.load(sync, 1)).toBe(1);
    expect(calls).toBe(0);
    loop.run('nowait');
    expect(calls).toBe(1);
    const { messages } = await run.done;
    expect((messages[0] as SendResults).results).toEqual(new Array<boolean>(10).fill(true));
    async.close();
    loop.close();
    expect(calls).toBe(1);
  });

  it('send() on Loop.default() wakes it once for a burst, and again for a later send', async () => {
    let calls = 0;
    const async = new Async(() => {
      calls++;
    });
    async.send();
    async.send();
    async.send();
    await until(() => calls > 0, 'the first callback');
    await sleep(20);
    expect(calls).toBe(1);
    async.send();
    await until(() => calls > 1, 'the second callback');
    await sleep(20);
    expect(calls).toBe(2);
    await async.close();
  });
});

describe('Async.send(token) after close', () => {
  it('is false on the owning thread, both while closing and once closed; send() throws', async () => {
    let calls = 0;
    const async = new Async(() => {
      calls++;
    });
    const token = async.sender();
    expect(Async.send(token)).toBe(true);
    await until(() => calls === 1, 'the callback');
    const closed = async.close();
    expect(async.closing).toBe(true);
    expect(Async.send(token)).toBe(false);
    await closed;
    expect(async.closed).toBe(true);
    expect(Async.send(token)).toBe(false);
    expect(() => async.send()).toThrow(expect.objectContaining({ code: 'ERR_HANDLE_CLOSED' }));
    expect(() => async.sender()).toThrow(expect.objectContaining({ code: 'ERR_HANDLE_CLOSED' }));
    await sleep(20);
    expect(calls).toBe(1);
  });

  it('is false from a worker once the handle has closed', async () => {
    const { sab, sync } = slots();
    let calls = 0;
    const async = new Async(() => {
      calls++;
    });
    const run = runWorker({ mode: 'after-close', token: async.sender(), sab });
    await async.close();
    markClosed(sync);
    const { code, messages } = await run.done;
    expect(code).toBe(0);
    expect((messages[0] as SendResults).results).toEqual([false, false]);
    expect(calls).toBe(0);
  });

  it('a worker sending in a tight loop while the handle closes never crashes and never succeeds afterwards', async () => {
    const { sab, sync } = slots();
    let calls = 0;
    let callsAtClose = -1;
    const async = new Async(() => {
      calls++;
    });
    const run = runWorker({ mode: 'hammer', token: async.sender(), sab });
    await until(() => calls >= 3, 'three callbacks from the hammering worker');
    let closeCallbacks = 0;
    async.close(() => {
      closeCallbacks++;
      callsAtClose = calls;
    });
    markClosed(sync);
    const { code, messages } = await run.done;
    await until(() => closeCallbacks === 1, 'the close callback');
    await sleep(20);
    expect(code).toBe(0);
    const result = messages[0] as HammerResults;
    expect(result.closedSeen).toBe(true);
    expect(result.trueCount).toBeGreaterThan(0);
    expect(result.trueAfterFalse).toBe(0);
    expect(result.falseCount).toBeGreaterThanOrEqual(1000);
    expect(closeCallbacks).toBe(1);
    expect(calls).toBe(callsAtClose); // no callback after the close callback
  });

  it('is false for a token no handle ever had, and rejects what is not a token', () => {
    expect(Async.send({ uvkitAsync: 2 ** 52 })).toBe(false);
    for (const bad of [undefined, null, 5, 'token', {}, { uvkitAsync: '1' }]) {
      expect(() => Async.send(bad as unknown as AsyncToken)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => Async.send({ uvkitAsync: bad })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });
});

describe('the token', () => {
  it('is a frozen plain object, stable per handle, distinct between handles, and survives structuredClone', async () => {
    let calls = 0;
    const a = new Async(() => {
      calls++;
    });
    const b = new Async();
    const token = a.sender();
    expect(Object.isFrozen(token)).toBe(true);
    expect(typeof token.uvkitAsync).toBe('number');
    expect(a.sender()).toEqual(token);
    expect(b.sender()).not.toEqual(token);
    const clone = structuredClone(token);
    expect(clone).toEqual(token);
    expect(clone).not.toBe(token);
    expect(Async.send(clone)).toBe(true);
    await until(() => calls === 1, 'the callback woken through a cloned token');
    await Promise.all([a.close(), b.close()]);
    expect(Async.send(clone)).toBe(false);
  });

  it('survives postMessage to a worker, which wakes the handle with it', async () => {
    let calls = 0;
    const async = new Async(() => {
      calls++;
    });
    const token = async.sender();
    const run = runWorker({ mode: 'message' });
    expect(await nextMessage(run.worker)).toEqual({ ready: true });
    run.worker.postMessage(token);
    const { code, messages } = await run.done;
    expect(code).toBe(0);
    const answer = messages[1] as SendResults;
    expect(answer.received).toEqual(token);
    expect(answer.results).toEqual([true]);
    await until(() => calls === 1, 'the callback woken by the worker');
    await async.close();
  });

  it('wakes a private loop that is not running yet: the callback runs at the next run()', async () => {
    const { sab } = slots();
    const loop = new Loop();
    let calls = 0;
    const async = new Async(loop, () => {
      calls++;
      async.close();
    });
    const run = runWorker({ mode: 'delayed', token: async.sender(), sab, delayMs: 0 });
    const { messages } = await run.done;
    expect((messages[0] as SendResults).results).toEqual([true]);
    expect(calls).toBe(0);
    loop.run();
    expect(calls).toBe(1);
    expect(async.closed).toBe(true);
    loop.close();
  });
});

describe('Async on the owning thread', () => {
  it('new Async(callback) is on Loop.default(); send() calls back with the handle', async () => {
    const seen: Async[] = [];
    const async = new Async((handle) => {
      seen.push(handle);
    });
    expect(async.loop).toBe(Loop.default());
    expect(async.active).toBe(true);
    async.send();
    await until(() => seen.length === 1, 'the callback');
    expect(seen[0]).toBe(async);
    await async.close();
    expect(async.active).toBe(false);
    expect(async.closed).toBe(true);
  });

  it('new Async() without a callback can be sent to and closed', async () => {
    const async = new Async();
    expect(async.loop).toBe(Loop.default());
    async.send();
    expect(Async.send(async.sender())).toBe(true);
    await tick();
    await async.close();
    expect(async.closed).toBe(true);
  });

  it('closing inside its own callback stops further callbacks', async () => {
    let calls = 0;
    let closeCallbacks = 0;
    const async = new Async(() => {
      calls++;
      async.close(() => {
        closeCallbacks++;
      });
    });
    const token = async.sender();
    async.send();
    await until(() => closeCallbacks === 1, 'the close callback');
    expect(Async.send(token)).toBe(false);
    await sleep(20);
    expect(calls).toBe(1);
    expect(closeCallbacks).toBe(1);
  });

  it('send() from inside its own callback on a private loop gives one more callback', () => {
    const loop = new Loop();
    let calls = 0;
    const async = new Async(loop, () => {
      calls++;
      if (calls < 3) async.send();
      else async.close();
    });
    async.send();
    loop.run();
    expect(calls).toBe(3);
    loop.close();
  });
});
