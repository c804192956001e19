// FSEvent: file system change events (pyuv tests/test_fs.py FSEventTest*, and more): entries
// created, changed, renamed and removed in a watched directory, a watched file changed and renamed,
// the path accessor, stop and restart, close inside the callback, two watchers of one path,
// `recursive` where the platform cannot (ENOSYS), errors and Node's loop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FSEvent, Loop, constants, features } from '../src/ts/index.js';
import { expectError, expectUVError } from './helpers/assert.js';
import { runToEnd, runUntil, until } from './helpers/loop.js';

const { RENAME, CHANGE } = constants.fsEvent;

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvkit-fsevent-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type Event = [filename: string | null, events: number];

/** Starts `watcher` on `target`, collecting (filename, events); any error fails the test. */
function collect(watcher: FSEvent, target: string, options: { recursive?: boolean } = {}): Event[] {
  const seen: Event[] = [];
  watcher.start(target, options, function (err, filename, events) {
    expect(err).toBeNull();
    expect(this).toBe(watcher);
    seen.push([filename, events]);
  });
  return seen;
}

const has = (seen: Event[], filename: string, flag: number): boolean => seen.some(([f, e]) => f === filename && (e & flag) !== 0);

describe('FSEvent', () => {
  it('constants.fsEvent holds libuv’s event numbers', () => {
    expect(constants.fsEvent).toEqual({ RENAME: 1, CHANGE: 2 });
  });

  it('in a watched directory: create, change, rename, remove and mkdir report the entry’s name (pyuv test_fsevent_dir)', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    const seen = collect(watcher, dir);
    const a = path.join(dir, 'a.txt');
    const b = path.join(dir, 'b.txt');
    const steps: Array<[string, () => void, () => boolean]> = [
      ['create a.txt', () => fs.writeFileSync(a, ''), () => has(seen, 'a.txt', RENAME)],
      ['append to a.txt', () => fs.appendFileSync(a, 'more'), () => has(seen, 'a.txt', CHANGE)],
      ['rename a.txt to b.txt', () => fs.renameSync(a, b), () => seen.filter(([f, e]) => f === 'a.txt' && e & RENAME).length >= 2 && has(seen, 'b.txt', RENAME)],
      ['remove b.txt', () => fs.unlinkSync(b), () => seen.filter(([f, e]) => f === 'b.txt' && e & RENAME).length >= 2],
      ['mkdir sub', () => fs.mkdirSync(path.join(dir, 'sub')), () => has(seen, 'sub', RENAME)],
    ];
    for (const [what, act, done] of steps) {
      act();
      runUntil(loop, done, what);
    }
    for (const [filename, events] of seen) {
      expect(['a.txt', 'b.txt', 'sub']).toContain(filename);
      expect(events & ~(RENAME | CHANGE)).toBe(0);
      expect(events).not.toBe(0);
    }
    watcher.close();
    runToEnd(loop);
    loop.close();
  });

  it('a watched file: utimes reports CHANGE and a rename RENAME, with the file’s own name (pyuv test_fsevent_basic, test_fsevent_nrefile)', () => {
    const loop = new Loop();
    const file = path.join(dir, 'watched.txt');
    fs.writeFileSync(file, 'data');
    const watcher = new FSEvent(loop);
    const seen = collect(watcher, file);
    expect(watcher.path).toBe(file);
    fs.utimesSync(file, 1_000_000_000, 1_000_000_000);
    runUntil(loop, () => has(seen, 'watched.txt', CHANGE), 'the change event');
    fs.renameSync(file, path.join(dir, 'moved.txt'));
    runUntil(loop, () => has(seen, 'watched.txt', RENAME), 'the rename event');
    for (const [filename] of seen) expect(filename).toBe('watched.txt');
    watcher.close();
    runToEnd(loop);
    loop.close();
  });

  it('path is null before start(), the path while watching and null after stop(); stop() ends events, start() resumes', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    expect(watcher.path).toBeNull();
    expect(watcher.active).toBe(false);
    const seen = collect(watcher, dir);
    expect(watcher.path).toBe(dir);
    expect(watcher.active).toBe(true);
    watcher.stop();
    expect(watcher.path).toBeNull();
    expect(watcher.active).toBe(false);
    fs.writeFileSync(path.join(dir, 'unseen'), '');
    expect(loop.run('nowait')).toBe(false); // nothing keeps the loop alive, nothing is reported
    expect(seen).toEqual([]);
    const again = collect(watcher, dir);
    fs.writeFileSync(path.join(dir, 'seen'), '');
    runUntil(loop, () => has(again, 'seen', RENAME), 'the event after the restart');
    expect(again.some(([f]) => f === 'unseen')).toBe(false);
    watcher.close();
    runToEnd(loop);
    expect(() => watcher.path).toThrow(expect.objectContaining({ code: 'ERR_HANDLE_CLOSED' }));
    loop.close();
  });

  it('start() on another path replaces the watch (and the callback)', () => {
    const loop = new Loop();
    const first = path.join(dir, 'first');
    const second = path.join(dir, 'second');
    fs.mkdirSync(first);
    fs.mkdirSync(second);
    const watcher = new FSEvent(loop);
    const old = collect(watcher, first);
    const seen = collect(watcher, second);
    expect(watcher.path).toBe(second);
    fs.writeFileSync(path.join(first, 'ignored'), '');
    fs.writeFileSync(path.join(second, 'reported'), '');
    runUntil(loop, () => has(seen, 'reported', RENAME), 'the event of the second path');
    expect(old).toEqual([]);
    expect(seen.some(([f]) => f === 'ignored')).toBe(false);
    watcher.close();
    runToEnd(loop);
    loop.close();
  });

  it('closes from inside its callback: one call although more events were queued, one close callback', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    let calls = 0;
    let closes = 0;
    watcher.start(dir, () => {
      calls++;
      watcher.close(() => closes++);
    });
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, `f${i}`), 'x');
    runToEnd(loop);
    expect([calls, closes]).toEqual([1, 1]);
    loop.close();
  });

  it('two FSEvents on one path each get every event; stopping one leaves the other watching', () => {
    const loop = new Loop();
    const one = new FSEvent(loop);
    const two = new FSEvent(loop);
    const seenOne = collect(one, dir);
    const seenTwo = collect(two, dir);
    fs.writeFileSync(path.join(dir, 'both'), '');
    runUntil(loop, () => has(seenOne, 'both', RENAME) && has(seenTwo, 'both', RENAME), 'both watchers');
    one.stop();
    fs.writeFileSync(path.join(dir, 'only-two'), '');
    runUntil(loop, () => has(seenTwo, 'only-two', RENAME), 'the remaining watcher');
    expect(seenOne.some(([f]) => f === 'only-two')).toBe(false);
    one.close();
    two.close();
    runToEnd(loop);
    loop.close();
  });

  it.runIf(!features.fsEventRecursive)('recursive: true is a UVError ENOSYS (syscall watch, path) where the platform cannot; a running watch is kept', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    const seen = collect(watcher, dir);
    const error = expectUVError(() => watcher.start(dir, { recursive: true }, () => {}), 'ENOSYS', 'watch');
    expect(error.path).toBe(dir);
    expect(error.message).toContain('recursive');
    expect(error.stack?.split('\n')[0]).toBe(`UVError: ${error.message}`);
    expect(watcher.active).toBe(true);
    expect(watcher.path).toBe(dir);
    fs.writeFileSync(path.join(dir, 'still'), '');
    runUntil(loop, () => has(seen, 'still', RENAME), 'the kept watch');
    const fresh = new FSEvent(loop);
    expectUVError(() => fresh.start(dir, { recursive: true }, () => {}), 'ENOSYS', 'watch');
    expect(fresh.active).toBe(false);
    watcher.close();
    fresh.close();
    runToEnd(loop);
    loop.close();
  });

  it.runIf(features.fsEventRecursive)('recursive: true reports changes in subdirectories', () => {
    const loop = new Loop();
    fs.mkdirSync(path.join(dir, 'sub'));
    const watcher = new FSEvent(loop);
    const seen = collect(watcher, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'sub', 'deep'), '');
    runUntil(loop, () => seen.some(([f]) => f !== null && f.endsWith('deep')), 'the nested event');
    watcher.close();
    runToEnd(loop);
    loop.close();
  });

  it('a missing path is a UVError ENOENT with syscall watch and the path; the handle stays inactive', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    const missing = path.join(dir, 'missing');
    const error = expectUVError(() => watcher.start(missing, () => {}), 'ENOENT', 'watch');
    expect(error.path).toBe(missing);
    expect(error.message).toBe(`ENOENT: no such file or directory, watch '${missing}'`);
    expect(watcher.active).toBe(false);
    expect(watcher.path).toBeNull();
    watcher.close();
    loop.run();
    loop.close();
  });

  it('bad arguments throw before anything is watched', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    const start = watcher.start.bind(watcher) as (...args: unknown[]) => void;
    const noop = (): void => {};
    expectError(() => start(5, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => start(`${dir}\0x`, noop), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectError(() => start(dir, null, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => start(dir, { recursive: 'yes' }, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => start(dir, {}, 'cb'), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => start(dir), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(watcher.active).toBe(false);
    watcher.close();
    loop.run();
    loop.close();
  });

  it('a callback that throws stops run(), which rethrows; the handle can still be closed', () => {
    const loop = new Loop();
    const watcher = new FSEvent(loop);
    watcher.start(dir, () => {
      throw new Error('from the fsEvent callback');
    });
    fs.writeFileSync(path.join(dir, 'x'), '');
    expect(() => loop.run()).toThrow('from the fsEvent callback');
    watcher.close();
    loop.run();
    loop.close();
  });

  it("on Node's loop", async () => {
    const watcher = new FSEvent();
    expect(watcher.loop).toBe(Loop.default());
    const seen = collect(watcher, dir);
    fs.writeFileSync(path.join(dir, 'node-loop'), '');
    await until(() => has(seen, 'node-loop', RENAME), 'the event on Node’s loop');
    await watcher.close();
    expect(watcher.closed).toBe(true);
  });
});
