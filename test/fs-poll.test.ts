// FSPoll: a path stat'ed every `interval` ms (pyuv tests/test_fs.py FSPollTest, and more): exactly
// one call per change of ENOENT -> created -> modified -> modified -> removed, the interval honoured
// in milliseconds (pyuv truncated 0.1 s to 0), Stats shaped like Node's, stop/restart/ref, close
// inside the callback, errors, Node's loop, and restarts while a stat runs (child processes: libuv
// aborts there without uvkit's guard).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FSPoll, Loop, Stats, Timer, UVError } from '../src/ts/index.js';
import { expectError } from './helpers/assert.js';
import { runWatchScenario } from './helpers/child.js';
import { runToEnd, runUntil, until } from './helpers/loop.js';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvkit-fspoll-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Report {
  code: string | null;
  prev: Stats;
  curr: Stats;
}

const NUMERIC_FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'] as const;

function allZero(stats: Stats): boolean {
  return NUMERIC_FIELDS.every((field) => stats[field] === 0);
}

describe('FSPoll', () => {
  it('reports exactly ENOENT, created, modified, modified, removed (pyuv test_fspoll1, at 20 ms instead of 100)', () => {
    const loop = new Loop();
    const file = path.join(dir, 'polled');
    const poll = new FSPoll(loop);
    const reports: Report[] = [];
    const T1 = 1_000_000_000; // seconds: distinct mtimes whatever the clock's resolution
    const T2 = 1_100_000_000;
    const mutate = [
      () => fs.writeFileSync(file, 'a'),
      () => fs.utimesSync(file, T1, T1),
      () => fs.utimesSync(file, T2, T2),
      () => fs.unlinkSync(file),
    ];
    poll.start(file, 20, function (err, prev, curr) {
      expect(this).toBe(poll);
      if (err !== null) {
        expect(err).toBeInstanceOf(UVError);
        expect(err.syscall).toBe('stat');
        expect(err.path).toBe(file);
      }
      reports.push({ code: err === null ? null : err.code, prev, curr });
      // Each report triggers the next change; the fifth closes the handle 150 ms later (7 more
      // polls in which nothing may be reported).
      const next = mutate[reports.length - 1];
      if (next !== undefined) next();
      else new Timer(loop).start((t) => (t.close(), poll.close()), 150);
    });
    expect(poll.path).toBe(file);
    runToEnd(loop);
    expect(reports.map((r) => r.code)).toEqual(['ENOENT', null, null, null, 'ENOENT']);
    const [missing, created, touched, retouched, removed] = reports as [Report, Report, Report, Report, Report];
    expect(allZero(missing.prev) && allZero(missing.curr)).toBe(true);
    expect(allZero(created.prev)).toBe(true);
    expect(created.curr.isFile()).toBe(true);
    expect(created.curr.size).toBe(1);
    expect(touched.prev.mtimeMs).toBe(created.curr.mtimeMs);
    expect(touched.curr.mtimeMs).toBe(T1 * 1000);
    expect(retouched.prev.mtimeMs).toBe(T1 * 1000);
    expect(retouched.curr.mtimeMs).toBe(T2 * 1000);
    expect(removed.prev.mtimeMs).toBe(T2 * 1000);
    expect(removed.prev.ino).toBe(created.curr.ino);
    expect(allZero(removed.curr)).toBe(true);
    expect(poll.closed).toBe(true);
    loop.close();
  });

  it('honours the interval in milliseconds: 100 ms over a file changed every 5 ms gives a few calls in 600 ms, not one per change', () => {
    const loop = new Loop();
    const file = path.join(dir, 'busy');
    fs.writeFileSync(file, '');
    const poll = new FSPoll(loop);
    let calls = 0;
    poll.start(file, 100, (err) => {
      expect(err).toBeNull();
      calls++;
    });
    const writer = new Timer(loop);
    let writes = 0;
    writer.start(() => fs.appendFileSync(file, String(++writes % 10)), 5, 5); // the size changes every time
    const end = new Timer(loop);
    end.start(() => {
      writer.close();
      end.close();
      poll.close();
    }, 600);
    runToEnd(loop);
    // ~6 polls after the baseline; generous both ways for a loaded machine. With the interval
    // truncated to 0 (pyuv's bug: libuv then polls every 1 ms) this would be close to `writes`.
    expect(writes).toBeGreaterThan(30);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(9);
    loop.close();
  });

  it('prev and curr are Stats with the field names and types of Node’s fs.Stats; curr matches fs.statSync()', () => {
    const loop = new Loop();
    const file = path.join(dir, 'stats');
    fs.writeFileSync(file, 'one');
    const poll = new FSPoll(loop);
    let report: { prev: Stats; curr: Stats } | undefined;
    poll.start(file, 10, (err, prev, curr) => {
      expect(err).toBeNull();
      report = { prev, curr };
      poll.close();
    });
    // Let the baseline stat happen, then change the file.
    const later = new Timer(loop);
    later.start(() => {
      later.close();
      fs.writeFileSync(file, 'three');
    }, 50);
    runToEnd(loop);
    expect(report).toBeDefined();
    const { prev, curr } = report as { prev: Stats; curr: Stats };
    const node = fs.statSync(file);
    for (const key of Object.keys(node) as Array<keyof fs.Stats>) {
      expect(key in curr, key).toBe(true);
      expect(typeof curr[key as keyof Stats], key).toBe(typeof node[key]);
    }
    for (const method of ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket', 'isCharacterDevice', 'isBlockDevice'] as const) {
      expect(curr[method](), method).toBe(node[method]());
    }
    for (const field of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'size', 'blocks', 'mtimeMs', 'ctimeMs'] as const) {
      expect(curr[field], field).toBe(node[field]);
    }
    expect(curr.mtime.getTime()).toBe(node.mtime.getTime());
    expect(prev.size).toBe(3);
    expect(curr.size).toBe(5);
    expect(prev).toBeInstanceOf(Stats);
    loop.close();
  });

  it('path is null until started and after stop(); stop() ends the reports; start() again replaces path, interval and callback', () => {
    const loop = new Loop();
    const first = path.join(dir, 'first');
    const second = path.join(dir, 'second');
    const poll = new FSPoll(loop);
    expect(poll.path).toBeNull();
    const seen: string[] = [];
    poll.start(first, 5, (err) => seen.push(`first ${err?.code}`));
    expect(poll.path).toBe(first);
    expect(poll.active).toBe(true);
    runUntil(loop, () => seen.length === 1, 'the first ENOENT');
    poll.stop();
    expect(poll.active).toBe(false);
    expect(poll.path).toBeNull();
    expect(loop.run()).toBe(false); // nothing left running
    poll.start(second, 5, (err) => seen.push(`second ${err?.code}`));
    expect(poll.path).toBe(second);
    runUntil(loop, () => seen.length === 2, 'the ENOENT of the second path');
    poll.start(first, 5, (err, prev, curr) => {
      seen.push(`third ${err?.code ?? curr.size}`);
      poll.close();
    });
    runToEnd(loop);
    expect(seen).toEqual(['first ENOENT', 'second ENOENT', 'third ENOENT']);
    loop.close();
  });

  it('unref() lets run() return while it polls, also across a restart (which moves to a fresh libuv handle)', () => {
    const loop = new Loop();
    const poll = new FSPoll(loop);
    poll.start(dir, 10, () => {});
    poll.unref();
    expect(poll.hasRef()).toBe(false);
    const t0 = Date.now();
    loop.run();
    poll.start(dir, 10, () => {});
    expect(poll.hasRef()).toBe(false);
    expect(poll.active).toBe(true);
    loop.run();
    expect(Date.now() - t0).toBeLessThan(5_000);
    poll.ref();
    expect(poll.hasRef()).toBe(true);
    poll.close();
    runToEnd(loop);
    loop.close();
  });

  it('closes from inside its callback: one call, one close callback', () => {
    const loop = new Loop();
    const poll = new FSPoll(loop);
    let calls = 0;
    let closes = 0;
    poll.start(path.join(dir, 'missing'), 1, () => {
      calls++;
      poll.close(() => closes++);
    });
    runToEnd(loop);
    expect([calls, closes]).toEqual([1, 1]);
    loop.close();
  });

  it('bad arguments throw before anything is polled', () => {
    const loop = new Loop();
    const poll = new FSPoll(loop);
    const start = poll.start.bind(poll) as (...args: unknown[]) => void;
    const noop = (): void => {};
    expectError(() => start(5, 10, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => start('a\0b', 10, noop), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectError(() => start(dir, '10', noop), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const interval of [-1, NaN, Infinity, 2 ** 32]) expectError(() => start(dir, interval, noop), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => start(dir, 10, 'cb'), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(poll.active).toBe(false);
    expect(poll.path).toBeNull();
    poll.start(dir, 2 ** 32 - 1, noop); // the largest interval libuv takes
    expect(poll.active).toBe(true);
    poll.close();
    loop.run();
    loop.close();
  });

  it('a callback that throws stops run(), which rethrows; the handle can still be closed', () => {
    const loop = new Loop();
    const poll = new FSPoll(loop);
    poll.start(path.join(dir, 'missing'), 5, () => {
      throw new Error('from the fsPoll callback');
    });
    expect(() => loop.run()).toThrow('from the fsPoll callback');
    poll.close();
    loop.run();
    loop.close();
  });

  it("on Node's loop: a file created after the start is reported", async () => {
    const file = path.join(dir, 'node-loop');
    const poll = new FSPoll();
    expect(poll.loop).toBe(Loop.default());
    const codes: Array<string | null> = [];
    poll.start(file, 10, (err, prev, curr) => {
      codes.push(err === null ? `size ${curr.size}` : err.code);
      if (codes.length === 1) fs.writeFileSync(file, 'xy');
    });
    await until(() => codes.length === 2, 'ENOENT then the created file');
    expect(codes).toEqual(['ENOENT', 'size 2']);
    await poll.close();
  });
});

describe('FSPoll: restarts and closes while a stat runs (child processes)', () => {
  it('stop() + start() and start() + start() while the first stats run: only the last watch reports', async () => {
    expect(await runWatchScenario('fspoll-restart-in-flight')).toEqual({
      private: ['third ENOENT'],
      node: ['third ENOENT'],
      counts: { handles: 0, uvHandles: 0 },
    });
  });

  it('restarted three times from inside its own callback', async () => {
    expect(await runWatchScenario('fspoll-restart-in-callback')).toEqual({ calls: 3, counts: { handles: 0, uvHandles: 0 } });
  });

  it('closed, its loop closed, or dropped with its loop, while a stat is in flight', async () => {
    expect(await runWatchScenario('fspoll-close-in-flight')).toEqual({ closed: true, counts: { handles: 0, uvHandles: 0 } });
  });
});
