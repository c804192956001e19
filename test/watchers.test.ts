// Loop watchers (Prepare, Check, Idle): pyuv's test_prepare.py, test_idle.py, test_check.py and
// test_multihandles.py, plus restart, stop, iteration order, lifecycle and bad input.
import { describe, expect, it } from 'vitest';
import { Check, Idle, Loop, Prepare, Timer, UVError } from '../src/ts/index.js';
import { thrown, codeOf } from './helpers/assert.js';

type WatcherClass = typeof Prepare | typeof Check | typeof Idle;
const kinds: Array<[string, WatcherClass]> = [
  ['Prepare', Prepare],
  ['Check', Check],
  ['Idle', Idle],
];

describe('each watcher fires once, stops and closes (pyuv test_prepare1 / test_idle1 / test_check1)', () => {
  it('Prepare', () => {
    const loop = new Loop();
    const prepare = new Prepare(loop);
    let calls = 0;
    let closeCalls = 0;
    prepare.start((handle) => {
      calls++;
      expect(handle).toBe(prepare);
      handle.stop();
      expect(handle.active).toBe(false);
      handle.close(() => {
        closeCalls++;
      });
    });
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    expect(closeCalls).toBe(1);
    expect(prepare.closed).toBe(true);
    loop.close();
  });

  it('Idle', () => {
    const loop = new Loop();
    const idle = new Idle(loop);
    let calls = 0;
    let closeCalls = 0;
    idle.start((handle) => {
      calls++;
      expect(handle).toBe(idle);
      handle.stop();
      handle.close(() => {
        closeCalls++;
      });
    });
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    expect(closeCalls).toBe(1);
    expect(idle.closed).toBe(true);
    loop.close();
  });

  it('Check (with a 100 ms timer so that the loop polls once)', () => {
    const loop = new Loop();
    const check = new Check(loop);
    const timer = new Timer(loop);
    let calls = 0;
    let closeCalls = 0;
    let timerCalls = 0;
    check.start((handle) => {
      calls++;
      expect(handle).toBe(check);
      handle.stop();
      handle.close(() => {
        closeCalls++;
      });
    });
    timer.start((t) => {
      timerCalls++;
      t.close();
    }, 100);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    expect(closeCalls).toBe(1);
    expect(timerCalls).toBe(1);
    expect(check.closed).toBe(true);
    loop.close();
  });
});

describe('multiple handles (pyuv test_multihandle1)', () => {
  it('Prepare, Idle, Check and a Timer each stop and close in their first callback', () => {
    const loop = new Loop();
    const counts = { prepare: 0, idle: 0, check: 0, timer: 0 };
    let closeCalls = 0;
    const closeCb = (): void => {
      closeCalls++;
    };
    const prepare = new Prepare(loop);
    const idle = new Idle(loop);
    const check = new Check(loop);
    const timer = new Timer(loop);
    prepare.start((h) => {
      counts.prepare++;
      h.stop();
      h.close(closeCb);
    });
    idle.start((h) => {
      counts.idle++;
      h.stop();
      h.close(closeCb);
    });
    check.start((h) => {
      counts.check++;
      h.stop();
      h.close(closeCb);
    });
    timer.start((h) => {
      counts.timer++;
      h.stop();
      h.close(closeCb);
    }, 100);
    expect(loop.run()).toBe(false);
    expect(counts).toEqual({ prepare: 1, idle: 1, check: 1, timer: 1 });
    expect(closeCalls).toBe(4);
    expect(loop.handles).toEqual([]);
    loop.close();
  });
});

describe('start, stop and order', () => {
  for (const [name, Kind] of kinds) {
    it(`${name}: start() twice replaces the callback`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      const calls: string[] = [];
      // Idle keeps the iteration from blocking, so 'once' returns after one iteration even for Check
      const spinner = new Idle(loop);
      spinner.start(() => {});
      handle.start(() => calls.push('first'));
      handle.start(() => calls.push('second'));
      expect(handle.active).toBe(true);
      loop.run('once');
      expect(calls).toEqual(['second']);
      loop.close();
      expect(handle.closed).toBe(true);
    });

    it(`${name}: stop() makes active false and the callback stops running; start() resumes it`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      const spinner = new Idle(loop);
      spinner.start(() => {});
      let calls = 0;
      expect(handle.active).toBe(false);
      handle.start(() => {
        calls++;
      });
      expect(handle.active).toBe(true);
      loop.run('once');
      expect(calls).toBe(1);
      handle.stop();
      expect(handle.active).toBe(false);
      loop.run('once');
      loop.run('once');
      expect(calls).toBe(1);
      handle.stop(); // stopping twice is harmless
      expect(handle.active).toBe(false);
      handle.start(() => {
        calls++;
      });
      loop.run('once');
      expect(calls).toBe(2);
      loop.close();
    });

    it(`${name}: a stopped watcher does not keep the loop alive; an unref()ed one neither`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      let calls = 0;
      handle.start(() => {
        calls++;
      });
      expect(loop.alive).toBe(true);
      handle.unref();
      expect(loop.alive).toBe(false);
      expect(loop.run()).toBe(false);
      handle.ref();
      handle.stop();
      expect(loop.alive).toBe(false);
      expect(loop.run()).toBe(false);
      expect(calls).toBe(0);
      handle.close();
      loop.run();
      loop.close();
    });

    it(`${name}: fires once per iteration`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      const spinner = new Idle(loop);
      spinner.start(() => {});
      let calls = 0;
      handle.start(() => {
        calls++;
      });
      for (let i = 0; i < 10; i++) loop.run('once');
      expect(calls).toBe(10);
      loop.close();
    });
  }

  it('order within one iteration: idle, then prepare, then (after polling) check', () => {
    const loop = new Loop();
    const order: string[] = [];
    const prepare = new Prepare(loop);
    const check = new Check(loop);
    const idle = new Idle(loop);
    // started in the reverse of the expected order, so start order cannot explain the result
    check.start(() => order.push('check'));
    prepare.start(() => order.push('prepare'));
    idle.start(() => order.push('idle'));
    loop.run('once');
    expect(order).toEqual(['idle', 'prepare', 'check']);
    loop.run('once');
    expect(order).toEqual(['idle', 'prepare', 'check', 'idle', 'prepare', 'check']);
    loop.close();
  });

  it('order with a timer: prepare before the poll, check after it, both before the timer on its iteration', () => {
    const loop = new Loop();
    const order: string[] = [];
    const prepare = new Prepare(loop);
    const check = new Check(loop);
    const timer = new Timer(loop);
    prepare.start((h) => {
      order.push('prepare');
      h.close();
    });
    check.start((h) => {
      order.push('check');
      h.close();
    });
    timer.start((t) => {
      order.push('timer');
      t.close();
    }, 20);
    expect(loop.run()).toBe(false);
    expect(order).toEqual(['prepare', 'check', 'timer']);
    loop.close();
  });

  it('a watcher started inside another callback runs on a later iteration, not lost', () => {
    const loop = new Loop();
    const prepare = new Prepare(loop);
    const idle = new Idle(loop);
    let idleCalls = 0;
    prepare.start((p) => {
      idle.start((i) => {
        idleCalls++;
        i.close();
      });
      p.close();
    });
    expect(loop.run()).toBe(false);
    expect(idleCalls).toBe(1);
    loop.close();
  });

  it('an active Idle keeps run() from blocking: run("once") returns with a 10 s timer pending', () => {
    const loop = new Loop();
    const idle = new Idle(loop);
    const timer = new Timer(loop);
    let idleCalls = 0;
    let timerCalls = 0;
    idle.start(() => {
      idleCalls++;
    });
    timer.start(() => {
      timerCalls++;
    }, 10_000);
    expect(loop.run('once')).toBe(true);
    expect(idleCalls).toBe(1);
    expect(timerCalls).toBe(0);
    loop.close();
  });
});

describe('watcher lifecycle and bad input', () => {
  for (const [name, Kind] of kinds) {
    it(`${name}: close() inside its own callback: one call, one close callback, no further calls`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      let calls = 0;
      let closeCalls = 0;
      const timer = new Timer(loop); // for Check: makes the loop poll
      timer.start((t) => t.close(), 10);
      handle.start((h) => {
        calls++;
        h.close(() => {
          closeCalls++;
        });
        expect(h.closing).toBe(true);
        expect(h.active).toBe(false);
      });
      expect(loop.run()).toBe(false);
      expect(calls).toBe(1);
      expect(closeCalls).toBe(1);
      expect([handle.active, handle.closing, handle.closed]).toEqual([false, false, true]);
      loop.close();
    });

    it(`${name}: close() twice calls both callbacks once`, async () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      handle.start(() => {});
      const calls: string[] = [];
      handle.close(() => calls.push('a'));
      const promise = handle.close();
      handle.close(() => calls.push('b'));
      loop.run();
      await expect(promise).resolves.toBeUndefined();
      expect(calls).toEqual(['a', 'b']);
      loop.close();
    });

    for (const state of ['closing', 'closed'] as const) {
      it(`${name}: every method throws ERR_HANDLE_CLOSED while ${state}`, () => {
        const loop = new Loop();
        const handle = new Kind(loop);
        handle.start(() => {});
        handle.close();
        if (state === 'closed') loop.run();
        const calls: Record<string, () => unknown> = {
          start: () => handle.start(() => {}),
          stop: () => handle.stop(),
          ref: () => handle.ref(),
          unref: () => handle.unref(),
          hasRef: () => handle.hasRef(),
          fileno: () => handle.fileno(),
        };
        const codes = Object.fromEntries(Object.entries(calls).map(([n, fn]) => [n, codeOf(fn)]));
        expect(codes).toEqual(Object.fromEntries(Object.keys(calls).map((n) => [n, 'ERR_HANDLE_CLOSED'])));
        expect(handle.active).toBe(false);
        loop.run();
        loop.close();
      });
    }

    it(`${name}: start() with a non-function throws ERR_INVALID_ARG_TYPE and stays inactive`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      const start = handle.start.bind(handle) as (cb: unknown) => void;
      for (const bad of [undefined, null, 1, 'cb', {}]) {
        expect(codeOf(() => start(bad))).toBe('ERR_INVALID_ARG_TYPE');
      }
      expect(handle.active).toBe(false);
      expect(loop.run()).toBe(false);
      handle.close();
      loop.run();
      loop.close();
    });

    it(`${name}: fileno() throws a UVError with code EBADF; data round-trips; loop is set`, () => {
      const loop = new Loop();
      const handle = new Kind(loop);
      const error = thrown(() => handle.fileno());
      expect(error).toBeInstanceOf(UVError);
      expect((error as UVError).code).toBe('EBADF');
      expect(handle.data).toBeUndefined();
      const data = ['x'];
      handle.data = data;
      expect(handle.data).toBe(data);
      expect(handle.loop).toBe(loop);
      expect(loop.handles).toContain(handle);
      handle.close();
      loop.run();
      loop.close();
    });

    it(`${name}: a dropped, started watcher keeps running after gc`, () => {
      const loop = new Loop();
      let calls = 0;
      // keeps every iteration from blocking until the watcher has closed itself
      const spinner = new Idle(loop);
      spinner.start((s) => {
        if (calls >= 3) s.close();
      });
      ((): void => {
        const handle = new Kind(loop);
        handle.start((h) => {
          calls++;
          globalThis.gc?.();
          if (calls === 3) h.close();
        });
      })();
      globalThis.gc?.();
      expect(loop.run()).toBe(false);
      expect(calls).toBe(3);
      loop.close();
    });
  }
});

describe("watchers on Node's loop", () => {
  for (const [name, Kind] of kinds) {
    it(`${name}: runs from Node's loop and closes from its callback`, async () => {
      const handle = new Kind();
      expect(handle.loop).toBe(Loop.default());
      let calls = 0;
      // Node's loop may otherwise block in its poll phase between our iterations
      const nudge = setInterval(() => {}, 1);
      try {
        await new Promise<void>((resolve) => {
          handle.start((h) => {
            calls++;
            if (calls === 3) {
              h.stop();
              h.close(resolve);
            }
          });
        });
      } finally {
        clearInterval(nudge);
      }
      expect(calls).toBe(3);
      expect(handle.closed).toBe(true);
    });
  }
});
