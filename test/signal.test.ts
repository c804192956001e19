// Signal: POSIX signals on uvkit loops (pyuv tests/test_signal.py and more). POSIX only.
//
// Only SIGUSR2, SIGHUP and SIGWINCH are used (SIGUSR1 starts Node's inspector). Node's own
// listener for each of them is installed for the whole file, so a signal that no uvkit watcher
// catches (after stop(), after a one-shot) is swallowed instead of killing the test process.
import { constants as osConstants } from 'node:os';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Loop, Signal, constants } from '../src/ts/index.js';
import { until } from './helpers/loop.js';

const GUARDED = ['SIGUSR2', 'SIGHUP', 'SIGWINCH'] as const;
type GuardedSignal = (typeof GUARDED)[number];
const guardCounts: Record<GuardedSignal, number> = { SIGUSR2: 0, SIGHUP: 0, SIGWINCH: 0 };
const guards = new Map<GuardedSignal, () => void>(GUARDED.map((name) => [name, () => void guardCounts[name]++]));

function addGuard(name: GuardedSignal): void {
  process.on(name, guards.get(name) as () => void);
}
function removeGuard(name: GuardedSignal): void {
  process.off(name, guards.get(name) as () => void);
}

beforeAll(() => {
  for (const name of GUARDED) addGuard(name);
});
afterAll(() => {
  for (const name of GUARDED) removeGuard(name);
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function kill(name: GuardedSignal): void {
  process.kill(process.pid, name);
}

const SIGUSR2 = constants.signals.SIGUSR2 as number;
const SIGHUP = constants.signals.SIGHUP as number;
const SIGWINCH = constants.signals.SIGWINCH as number;

describe.skipIf(process.platform === 'win32')('Signal', () => {
  it('the signal numbers are the platform ones', () => {
    expect(SIGUSR2).toBe(osConstants.signals.SIGUSR2);
    expect(SIGHUP).toBe(osConstants.signals.SIGHUP);
    expect(SIGWINCH).toBe(osConstants.signals.SIGWINCH);
  });

  it('start() + kill delivers once, with signum and this === the handle (pyuv test_signal1)', async () => {
    const signal = new Signal();
    const calls: Array<{ signum: number; self: boolean }> = [];
    signal.start(function (signum) {
      calls.push({ signum, self: this === signal });
    }, 'SIGUSR2');
    expect(signal.active).toBe(true);
    expect(signal.loop).toBe(Loop.default());
    kill('SIGUSR2');
    await until(() => calls.length > 0, 'the signal callback');
    await sleep(30);
    expect(calls).toEqual([{ signum: SIGUSR2, self: true }]);
    expect(signal.active).toBe(true); // a plain start() keeps watching
    kill('SIGUSR2');
    await until(() => calls.length > 1, 'the second delivery');
    expect(calls).toHaveLength(2);
    await signal.close();
    expect(signal.active).toBe(false);
  });

  it('accepts signal names and numbers; signum reports the number', async () => {
    const byName = new Signal();
    const byNumber = new Signal();
    const seen: string[] = [];
    byName.start((signum) => seen.push(`name:${signum}`), 'SIGHUP');
    byNumber.start((signum) => seen.push(`number:${signum}`), SIGWINCH);
    expect(byName.signum).toBe(SIGHUP);
    expect(byNumber.signum).toBe(SIGWINCH);
    kill('SIGHUP');
    await until(() => seen.length === 1, 'SIGHUP');
    kill('SIGWINCH');
    await until(() => seen.length === 2, 'SIGWINCH');
    await sleep(20);
    expect(seen).toEqual([`name:${SIGHUP}`, `number:${SIGWINCH}`]);
    await Promise.all([byName.close(), byNumber.close()]);
  });

  it('rejects unknown names, out-of-range numbers and missing callbacks, before any side effect', async () => {
    const signal = new Signal();
    expect(() => signal.start(() => {}, 'SIGNOPE' as NodeJS.Signals)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    for (const bad of [0, -1, 65, 1.5, Number.NaN]) {
      expect(() => signal.start(() => {}, bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => signal.start(null as unknown as () => void, 'SIGUSR2')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => signal.startOneshot(() => {}, {} as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(signal.active).toBe(false);
    await signal.close();
    expect(() => signal.start(() => {}, 'SIGUSR2')).toThrow(expect.objectContaining({ code: 'ERR_HANDLE_CLOSED' }));
    expect(() => signal.signum).toThrow(expect.objectContaining({ code: 'ERR_HANDLE_CLOSED' }));
    expect(() => signal.stop()).toThrow(expect.objectContaining({ code: 'ERR_HANDLE_CLOSED' }));
  });

  it('is delivered to every loop watching it (pyuv test_multi_loop_signals): 5 private loops + Loop.default()', async () => {
    const loops = Array.from({ length: 5 }, () => new Loop());
    const counts = new Array<number>(loops.length + 1).fill(0);
    const signums = new Array<number>(loops.length + 1).fill(0);
    const handles = [...loops, Loop.default()].map((loop, i) => {
      const signal = new Signal(loop);
      signal.start((signum) => {
        counts[i] = (counts[i] ?? 0) + 1;
        signums[i] = signum;
        signal.close();
      }, 'SIGUSR2');
      return signal;
    });
    kill('SIGUSR2');
    const deadline = Date.now() + 5_000;
    while (counts.some((c) => c === 0) && Date.now() < deadline) {
      for (const loop of loops) loop.run('nowait');
      await tick();
    }
    // Let any duplicate delivery show up, then check each loop saw the signal exactly once.
    for (let round = 0; round < 5; round++) {
      for (const loop of loops) loop.run('nowait');
      await sleep(5);
    }
    expect(counts).toEqual([1, 1, 1, 1, 1, 1]);
    expect(signums).toEqual(new Array<number>(6).fill(SIGUSR2));
    expect(handles.every((h) => h.closed)).toBe(true);
    for (const loop of loops) {
      expect(loop.run()).toBe(false); // nothing left on it
      loop.close();
    }
  });

  it('is delivered to private loops blocked in run() on 4 worker threads (pyuv test_multi_loop_signals)', async () => {
    const workerUrl = new URL('./fixtures/signal-worker.mjs', import.meta.url);
    const workers = Array.from({ length: 4 }, () => new Worker(workerUrl, { workerData: { signal: 'SIGUSR2', timeoutMs: 10_000 } }));
    const results = workers.map(
      (worker) =>
        new Promise<unknown[]>((resolve, reject) => {
          const messages: unknown[] = [];
          worker.on('message', (message: unknown) => messages.push(message));
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve(messages) : reject(new Error(`worker exit code ${code}`))));
        }),
    );
    const ready = workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve())));
    await Promise.all(ready);
    const guardBefore = guardCounts.SIGUSR2;
    kill('SIGUSR2');
    const all = await Promise.all(results);
    for (const messages of all) {
      expect(messages[0]).toEqual({ ready: true });
      expect(messages[1]).toEqual({ calls: 1, signum: SIGUSR2, self: true, timedOut: false });
    }
    await until(() => guardCounts.SIGUSR2 > guardBefore, "Node's own listener");
  });

  it('a private loop run in this thread sees a signal sent before run()', () => {
    const loop = new Loop();
    const signal = new Signal(loop);
    let got = 0;
    signal.start((signum) => {
      got = signum;
      signal.close();
    }, 'SIGWINCH');
    kill('SIGWINCH');
    loop.run(); // the signal is already pending on the loop's signal pipe
    expect(got).toBe(SIGWINCH);
    loop.close();
  });

  it('startOneshot() fires once, then the handle is inactive; start() can rearm it', async () => {
    const signal = new Signal();
    const seen: number[] = [];
    signal.startOneshot(function (signum) {
      expect(this).toBe(signal);
      seen.push(signum);
    }, 'SIGUSR2');
    expect(signal.active).toBe(true);
    kill('SIGUSR2');
    await until(() => seen.length === 1, 'the one-shot delivery');
    expect(signal.active).toBe(false);
    const guardBefore = guardCounts.SIGUSR2;
    kill('SIGUSR2');
    await until(() => guardCounts.SIGUSR2 > guardBefore, "the second SIGUSR2 at Node's listener");
    await sleep(20);
    expect(seen).toEqual([SIGUSR2]);
    signal.start((signum) => seen.push(signum), 'SIGUSR2');
    expect(signal.active).toBe(true);
    kill('SIGUSR2');
    await until(() => seen.length === 2, 'the delivery after restart');
    await signal.close();
  });

  it('stop() prevents delivery until started again', async () => {
    const signal = new Signal();
    let calls = 0;
    signal.start(() => void calls++, 'SIGHUP');
    signal.stop();
    expect(signal.active).toBe(false);
    const guardBefore = guardCounts.SIGHUP;
    kill('SIGHUP');
    await until(() => guardCounts.SIGHUP > guardBefore, "SIGHUP at Node's listener");
    await sleep(20);
    expect(calls).toBe(0);
    signal.start(() => void calls++, 'SIGHUP');
    kill('SIGHUP');
    await until(() => calls === 1, 'the delivery after restart');
    await signal.close();
  });

  it('starting again with another signal replaces the watched signal', async () => {
    const signal = new Signal();
    const seen: number[] = [];
    signal.start((signum) => seen.push(signum), 'SIGHUP');
    signal.start((signum) => seen.push(-signum), 'SIGUSR2');
    expect(signal.signum).toBe(SIGUSR2);
    const guardBefore = guardCounts.SIGHUP;
    kill('SIGHUP');
    await until(() => guardCounts.SIGHUP > guardBefore, "SIGHUP at Node's listener");
    kill('SIGUSR2');
    await until(() => seen.length > 0, 'SIGUSR2');
    await sleep(20);
    expect(seen).toEqual([-SIGUSR2]); // the second callback, for the second signal only
    await signal.close();
  });

  it("a watcher on Node's loop coexists with process.on(): each sees every signal, and each survives the other leaving", async () => {
    const signal = new Signal();
    let uvkitCalls = 0;
    let nodeCalls = 0;
    const listener = (): void => void nodeCalls++;
    process.on('SIGUSR2', listener);
    signal.start(() => void uvkitCalls++, 'SIGUSR2');

    kill('SIGUSR2');
    await until(() => uvkitCalls === 1 && nodeCalls === 1, 'both watchers');

    // Node's listeners all gone: uvkit's watcher alone keeps the signal from killing us.
    process.off('SIGUSR2', listener);
    removeGuard('SIGUSR2');
    try {
      kill('SIGUSR2');
      await until(() => uvkitCalls === 2, 'the uvkit watcher alone');
    } finally {
      addGuard('SIGUSR2');
    }

    // uvkit's watcher gone: Node's listener still works.
    process.on('SIGUSR2', listener);
    await signal.close();
    kill('SIGUSR2');
    await until(() => nodeCalls === 2, "Node's listener alone");
    process.off('SIGUSR2', listener);
    await sleep(20);
    expect(uvkitCalls).toBe(2);
    expect(nodeCalls).toBe(2);
  });

  it('closing inside its own callback stops further deliveries to it', async () => {
    const signal = new Signal();
    let calls = 0;
    let closed = 0;
    signal.start(() => {
      calls++;
      signal.close(() => void closed++);
    }, 'SIGWINCH');
    kill('SIGWINCH');
    await until(() => closed === 1, 'the close callback');
    kill('SIGWINCH');
    await sleep(30);
    expect(calls).toBe(1);
    expect(closed).toBe(1);
  });
});
