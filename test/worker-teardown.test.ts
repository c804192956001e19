// Worker and environment teardown (DESIGN.md "Lifetime" rule 6; reliability.md §0.2, §4.7, row 9).
//
// This file is the `npm run test:workers` target; without npm run it as
//   npx vitest run test/worker-teardown.test.ts
// (or run a fixture by hand: `node test/fixtures/worker-teardown-main.mjs 200 4`). Everything runs
// in child processes, so a crash or abort fails the test instead of the test runner. The fixtures
// import the compiled library from dist/ (`node scripts/ensure-built.mjs` builds it).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect } from './helpers/child.js';

const mainFixture = fileURLToPath(new URL('./fixtures/worker-teardown-main.mjs', import.meta.url));
const scenarioFixture = fileURLToPath(new URL('./fixtures/worker-scenarios.mjs', import.meta.url));

const CRASH_TEXT = /Assertion|Abort|Segmentation|FATAL ERROR|uv_loop_close|Uncaught|uncaught|Error:/;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], timeout: number): Run {
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr };
}

function runScenario(name: string, timeout = 20_000): Run {
  return runNode([scenarioFixture, name], timeout);
}

function lines(run: Run): string[] {
  return run.stdout.split('\n').filter((line) => line !== '');
}

/** Ended on its own, with this status, and nothing on stderr. */
function expectExit(run: Run, status: number): void {
  expect(run.signal, `killed (hung?); stdout: ${run.stdout}`).toBeNull();
  expect(run.stderr).toBe('');
  expect(run.status).toBe(status);
}

interface Summary {
  workers: number;
  ready: number;
  byVariant: Record<string, number>;
  exitCodes: Record<string, number>;
  sendsDelivered: number;
  sendsDuringDeath: number;
  sendsTrueAfterExit: number;
  errors: string[];
  stuck: string[];
  mainCounts: { handles: number; uvHandles: number; loops: number; fsRequests: number; poolRequests: number };
}

describe('200 workers torn down at random points (reliability.md §4.7)', () => {
  it('all end, the process exits 0 with a clean stderr, and no token outlives its worker', async () => {
    // Not spawnSync: this can take over a minute under ASan, and a test worker whose loop does not
    // turn that long misses vitest's RPC replies (their timeout is 60 s).
    const child = spawn(process.execPath, [mainFixture, '200', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run = await collect(child, 110_000);
    expect(run.signal, `killed (hung?); stderr: ${run.stderr.slice(0, 2000)}`).toBeNull();
    expect(run.stderr).not.toMatch(CRASH_TEXT);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const line = run.stdout.split('\n').find((l) => l.startsWith('SUMMARY '));
    expect(line, run.stdout).toBeDefined();
    const summary = JSON.parse((line ?? '').slice('SUMMARY '.length)) as Summary;
    expect(summary.errors).toEqual([]);
    expect(summary.stuck).toEqual([]);
    expect(summary.workers).toBe(200);
    expect(summary.ready).toBe(200);
    // Terminated workers end with 1; those that exit by themselves with their own code, 0.
    const expectedCodes: Record<string, number> = {
      run: 1,
      embed: 1,
      'embed-thread': 1,
      busy: 1,
      closing: 1,
      exit: 0,
      'exit-in-run': 0,
      return: 0,
    };
    for (const [key, n] of Object.entries(summary.exitCodes)) {
      const [variant, code] = key.split(':');
      expect(variant !== undefined && variant in expectedCodes, `unexpected variant ${key}`).toBe(true);
      expect(`${variant}:${code}`).toBe(`${variant}:${expectedCodes[variant ?? '']}`);
      expect(n).toBe(summary.byVariant[variant ?? '']);
    }
    expect(Object.keys(summary.byVariant).sort()).toEqual(Object.keys(expectedCodes).sort());
    // The parent woke live workers' Async handles, and never a dead one's.
    expect(summary.sendsDelivered).toBeGreaterThan(0);
    expect(summary.sendsTrueAfterExit).toBe(0);
    // The main thread's own handle (left open on purpose) is still counted before its teardown.
    expect(summary.mainCounts).toEqual({ handles: 1, uvHandles: 1, loops: 1, fsRequests: 0, poolRequests: 0 });
  }, 120_000);
});

describe('single teardown scenarios', () => {
  it('a worker that ends by itself with handles open on every loop exits 0; its tokens go dead', () => {
    const run = runScenario('worker-returns-with-open-handles');
    expectExit(run, 0);
    expect(lines(run)).toEqual(['exit 0', 'send-after-exit false false']);
  });

  it('process.exit(3) in a worker, inside a uvkit callback with handles active, gives exit code 3', () => {
    const run = runScenario('worker-process-exit');
    expectExit(run, 0);
    expect(lines(run)).toEqual(['exit 3', 'send-after-exit false']);
  });

  it('process.exit(6) in a worker, inside a private loop callback during loop.run(), gives exit code 6', () => {
    const run = runScenario('worker-process-exit-in-run');
    expectExit(run, 0);
    expect(lines(run)).toEqual(['exit 6']);
  });

  it('terminate() while a worker blocks in loop.run() on a private loop ends it promptly', () => {
    const run = runScenario('terminate-in-run');
    expectExit(run, 0);
    const out = lines(run);
    expect(out[0]).toBe('exit 1');
    expect(Number(out[1]?.split(' ')[1])).toBeLessThan(2_000);
    expect(out[2]).toBe('send-after-exit false false');
  });

  it('terminate() while a worker runs a long JS callback called by uvkit interrupts it', () => {
    const run = runScenario('terminate-in-callback');
    expectExit(run, 0);
    const out = lines(run);
    expect(out[0]).toBe('exit 1');
    expect(Number(out[1]?.split(' ')[1])).toBeLessThan(1_500); // the callback would spin for 2 s
    expect(out[2]).toBe('callback-returned false');
  });

  it('the addon in the main thread and in two workers at once: all end cleanly', () => {
    const run = runScenario('main-and-two-workers');
    expectExit(run, 0);
    expect(lines(run)).toEqual(['exits 0 0', 'main-timer-ticking true']);
  });

  it('process.exit(5) on the main thread with handles open everywhere (and a worker running) exits 5', () => {
    const run = runScenario('main-exit-code');
    expectExit(run, 5);
    expect(lines(run)).toEqual(['exiting']);
  });

  it('process.exit(4) from inside a uvkit callback on the main thread exits 4', () => {
    const run = runScenario('main-exit-in-callback');
    expectExit(run, 4);
    expect(lines(run)).toEqual(['exiting']);
  });

  it('process.exit(7) from inside a private loop callback during loop.run() on the main thread exits 7', () => {
    const run = runScenario('main-exit-in-private-run');
    expectExit(run, 7);
    expect(lines(run)).toEqual(['exiting']);
  });

  it('the main thread ends by itself with unreferenced handles open: exit 0', () => {
    const run = runScenario('main-returns-with-open-handles');
    expectExit(run, 0);
    expect(lines(run)).toEqual(['open 6 3 false']);
  });

  it('the main thread ends by itself with embedded private loops (fd polling, helper thread) whose handles are unreferenced: exit 0', () => {
    const run = runScenario('main-returns-with-embedded-loop', 10_000);
    expectExit(run, 0);
    expect(lines(run)).toEqual(['open 6 1 1']);
  });

  it('terminate() at random points of 24 workers whose UDP sockets are flooded (batches mid-burst, callbacks running, sends queued): each exits 1', () => {
    const run = runScenario('terminate-during-udp-bursts', 60_000);
    expectExit(run, 0);
    expect(lines(run)).toEqual(['exits {"1":24}']);
  }, 70_000);

  it('terminate() ends a worker whose embedded private loop has an active Idle', () => {
    const run = runScenario('terminate-embed-idle', 10_000);
    expectExit(run, 0);
    expect(lines(run)).toEqual(['exit 1']);
  });
});

// fs requests at teardown (test/fixtures/fs-worker-teardown.mjs): a worker's environment ends while
// its requests are in flight on Node's loop and on a private loop, with Dirs open, partly read,
// being read and being closed. Its teardown waits for what libuv still runs, drops the results,
// and closes what the worker left open: nothing of the worker's stays open in the process.
describe('fs requests at teardown', () => {
  const fsFixture = fileURLToPath(new URL('./fixtures/fs-worker-teardown.mjs', import.meta.url));

  interface FsSummary {
    workers?: number;
    exitCodes: Record<string, number>;
    errors: string[];
    stuck: string[];
    leftOpen: string[];
    mainCounts: { handles: number; uvHandles: number; loops: number; fsRequests: number; poolRequests: number };
  }

  /**
   * Runs the fixture asynchronously (spawn, not spawnSync: this worker's loop keeps turning for
   * vitest's RPC under a slow sanitizer run) with its scratch directories in one of this test's,
   * removed afterwards even if the child crashed.
   */
  async function fsChild(args: string[], timeout: number): Promise<Run> {
    const scratch = mkdtempSync(path.join(tmpdir(), 'uvkit-fs-teardown-'));
    try {
      const child = spawn(process.execPath, [fsFixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UVKIT_FS_SCRATCH: scratch } });
      return await collect(child, timeout);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async function fsRun(args: string[], timeout: number): Promise<FsSummary> {
    const run = await fsChild(args, timeout);
    expectExit(run, 0);
    const line = lines(run).find((l) => l.startsWith('SUMMARY '));
    expect(line, run.stdout).toBeDefined();
    return JSON.parse((line ?? '').slice('SUMMARY '.length)) as FsSummary;
  }

  it('24 workers terminated, blocked in loop.run(), exiting from an fs callback or ending by themselves, all with fs requests in flight and Dirs open: each ends as expected and no fd of theirs stays open', async () => {
    const summary = await fsRun(['workers', '24'], 60_000);
    expect(summary.errors).toEqual([]);
    expect(summary.stuck).toEqual([]);
    expect(summary.workers).toBe(24);
    expect(summary.exitCodes).toEqual({ 'terminate:1': 6, 'run:1': 6, 'exit:0': 6, 'return:0': 6 });
    expect(summary.leftOpen).toEqual([]);
    expect(summary.mainCounts).toEqual({ handles: 0, uvHandles: 0, loops: 0, fsRequests: 0, poolRequests: 0 });
  }, 70_000);

  it('terminated with a closedir, a readdir and stats queued behind a blocked thread pool: the queued ones are cancelled, the directory still closed, the blocked opens’ fds closed when they finish', async () => {
    const summary = await fsRun(['queued', '5'], 60_000);
    expect(summary.errors).toEqual([]);
    expect(summary.stuck).toEqual([]);
    expect(summary.exitCodes).toEqual({ 1: 5 });
    expect(summary.leftOpen).toEqual([]);
    expect(summary.mainCounts).toEqual({ handles: 0, uvHandles: 0, loops: 0, fsRequests: 0, poolRequests: 0 });
  }, 70_000);

  it('process.exit(9) on the main thread with fs requests in flight on both loops and Dirs open exits 9 with a clean stderr', async () => {
    const run = await fsChild(['main-exit'], 20_000);
    expectExit(run, 9);
    expect(lines(run)).toEqual(['exiting true true']);
  });
});
