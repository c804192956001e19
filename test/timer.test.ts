// Timer: pyuv's test_timer.py plus the gaps it leaves (again, repeat, dueIn, lifecycle, bad input,
// Node's loop).
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { errors, Loop, Timer, UVError } from '../src/ts/index.js';
import { thrown, codeOf, sleepSync } from './helpers/assert.js';

describe('Timer on a private loop (pyuv test_timer)', () => {
  it('a one-shot timer fires exactly once (test_timer1)', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
    }, 10);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    timer.close();
    loop.close();
  });

  it('the callback receives the timer as its argument and as this', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const args: unknown[] = [];
    let self: unknown;
    timer.start(function (this: unknown, t) {
      self = this;
      args.push(t);
    }, 1);
    loop.run();
    expect(args).toEqual([timer]);
    expect(args[0]).toBe(timer);
    expect(self).toBe(timer);
    timer.close();
    loop.close();
  });

  it('a repeating timer (repeat = 1) runs until stopped after N calls', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
      if (calls === 5) timer.stop();
    }, 1, 1);
    expect(timer.repeat).toBe(1);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(5);
    expect(timer.active).toBe(false);
    timer.close();
    loop.close();
  });

  it('a timer started then closed before run() never fires (test_timer_never)', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    let closeCalls = 0;
    timer.start(() => {
      calls++;
    }, 1);
    timer.close(() => {
      closeCalls++;
    });
    expect(loop.run()).toBe(false);
    expect(calls).toBe(0);
    expect(closeCalls).toBe(1);
    loop.close();
  });

  it('an unstarted timer does not keep the loop alive: run() returns false at once (test_timer_ref1)', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    expect(timer.active).toBe(false);
    expect(timer.hasRef()).toBe(true);
    expect(loop.run()).toBe(false);
    timer.close();
    loop.close();
  });

  it('an unref()ed timer does not fire; after ref() it fires once (test_timer_ref2)', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
    }, 10);
    expect(timer.unref()).toBe(timer);
    expect(timer.hasRef()).toBe(false);
    expect(timer.active).toBe(true);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(0);
    expect(timer.ref()).toBe(timer);
    expect(timer.hasRef()).toBe(true);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    timer.close();
    loop.close();
  });

  it('ref() and unref() are idempotent', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    timer.unref().unref();
    expect(timer.hasRef()).toBe(false);
    timer.ref().ref();
    expect(timer.hasRef()).toBe(true);
    timer.close();
    loop.close();
  });

  it('a started timer whose references are all dropped still fires after gc (test_timer_noref)', () => {
    expect(typeof globalThis.gc).toBe('function');
    const loop = new Loop();
    let calls = 0;
    let closed = 0;
    ((): void => {
      const timer = new Timer(loop);
      timer.start((t) => {
        calls++;
        t.close(() => {
          closed++;
        });
      }, 20);
    })();
    for (let i = 0; i < 5; i++) globalThis.gc?.();
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    expect(closed).toBe(1);
    expect(loop.handles).toEqual([]);
    loop.close();
  });

  it('a dropped repeating timer keeps firing through gcs until it stops itself', () => {
    const loop = new Loop();
    let calls = 0;
    ((): void => {
      const timer = new Timer(loop);
      timer.start((t) => {
        calls++;
        globalThis.gc?.();
        if (calls === 5) t.close();
      }, 1, 1);
    })();
    globalThis.gc?.();
    expect(loop.run()).toBe(false);
    expect(calls).toBe(5);
    loop.close();
  });

  it('again() restarts a repeating timer with its repeat as the timeout', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
      if (calls === 3) timer.stop();
    }, 10_000, 2);
    expect(timer.dueIn).toBe(10_000);
    timer.again();
    expect(timer.active).toBe(true);
    expect(timer.dueIn).toBeLessThanOrEqual(2);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(3);

    // again() after stop() starts it again
    expect(timer.active).toBe(false);
    timer.again();
    expect(timer.active).toBe(true);
    timer.stop();
    timer.close();
    loop.close();
  });

  it('again() on a timer that was never started throws a UVError with code EINVAL', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const error = thrown(() => timer.again());
    expect(error).toBeInstanceOf(UVError);
    expect(error).toBeInstanceOf(errors.UVError);
    expect(error).toBeInstanceOf(Error);
    expect((error as UVError).code).toBe('EINVAL');
    expect((error as UVError).errno).toBe(errors.codes.EINVAL);
    expect(timer.active).toBe(false);
    timer.close();
    loop.close();
  });

  it('repeat: 0 by default, set by start(), settable, takes effect at the next expiry', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    expect(timer.repeat).toBe(0);
    let calls = 0;
    timer.start(() => {
      calls++;
      if (calls === 1) timer.repeat = 1; // used from the expiry after the next one
      if (calls === 4) timer.stop();
    }, 1, 7);
    expect(timer.repeat).toBe(7);
    timer.repeat = 3;
    expect(timer.repeat).toBe(3);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(4);
    expect(timer.repeat).toBe(1);
    timer.repeat = 0;
    expect(timer.repeat).toBe(0);
    timer.close();
    loop.close();
  });

  it('a one-shot timer does not become repeating when repeat is set after it fired', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
    }, 1);
    loop.run();
    timer.repeat = 1;
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    timer.close();
    loop.close();
  });

  it('dueIn is 0 when not started and decreases with loop time', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    expect(timer.dueIn).toBe(0);
    timer.start(() => {}, 1_000);
    expect(timer.dueIn).toBe(1_000);
    sleepSync(30);
    expect(timer.dueIn).toBe(1_000); // loop time is cached
    loop.updateTime();
    const due = timer.dueIn;
    expect(due).toBeLessThanOrEqual(990);
    expect(due).toBeGreaterThanOrEqual(0);
    timer.stop();
    timer.close();
    loop.close();
  });

  // libuv counts from the loop's cached time; start() and again() refresh it first, so a loop that
  // has not turned for a while (JS ran long since) does not fire the timer early. libuv's time is
  // in whole milliseconds, truncated, so the elapsed time may fall short by less than 1 ms.
  it('the timeout counts from start(), even when the loop time is stale', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    loop.updateTime();
    sleepSync(60);
    let elapsed = -1;
    const started = performance.now();
    timer.start(() => {
      elapsed = performance.now() - started;
    }, 40);
    loop.run();
    expect(elapsed).toBeGreaterThanOrEqual(39);
    timer.close();
    loop.close();
  });

  it('again() counts from the call, even when the loop time is stale', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let elapsed = -1;
    let started = 0;
    timer.start(() => {
      elapsed = performance.now() - started;
      timer.stop();
    }, 10_000, 40);
    sleepSync(60);
    started = performance.now();
    timer.again(); // due in `repeat` ms
    loop.run();
    expect(elapsed).toBeGreaterThanOrEqual(39);
    timer.close();
    loop.close();
  });

  it('a fractional timeout (0.5 ms) fires, and not before 1 ms of loop time', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    loop.updateTime();
    const t0 = loop.now();
    let firedAt = -1;
    let calls = 0;
    timer.start(() => {
      calls++;
      firedAt = loop.now();
    }, 0.5);
    expect(timer.dueIn).toBe(1);
    loop.run();
    expect(calls).toBe(1);
    expect(firedAt).toBeGreaterThanOrEqual(t0 + 1);
    timer.close();
    loop.close();
  });

  it('a sub-microsecond timeout still fires once (test_timer_submillisecond)', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
    }, 0.00001);
    loop.run();
    expect(calls).toBe(1);
    timer.close();
    loop.close();
  });

  it('a zero timeout fires on the next run', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
    }, 0);
    expect(calls).toBe(0);
    loop.run();
    expect(calls).toBe(1);
    timer.close();
    loop.close();
  });

  it('start() again replaces the callback and the timeout', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const calls: string[] = [];
    timer.start(() => calls.push('first'), 10_000);
    timer.start(() => calls.push('second'), 1);
    expect(loop.run()).toBe(false);
    expect(calls).toEqual(['second']);
    timer.close();
    loop.close();
  });

  it('a callback can restart its own one-shot timer', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    const cb = (t: Timer): void => {
      calls++;
      if (calls < 3) t.start(cb, 1);
    };
    timer.start(cb, 1);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(3);
    timer.close();
    loop.close();
  });

  it('timers with the same timeout fire in start order', () => {
    const loop = new Loop();
    const order: number[] = [];
    const timers = [0, 1, 2, 3, 4].map((i) => {
      const t = new Timer(loop);
      t.start(() => order.push(i), 5);
      return t;
    });
    loop.run();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    for (const t of timers) t.close();
    loop.close();
  });

  it('data round-trips and starts undefined', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    expect(timer.data).toBeUndefined();
    const payload = { id: 7 };
    timer.data = payload;
    expect(timer.data).toBe(payload);
    let seen: unknown;
    timer.start((t) => {
      seen = t.data;
    }, 1);
    loop.run();
    expect(seen).toBe(payload);
    timer.close();
    loop.run();
    expect(timer.data).toBe(payload); // still readable after close
    loop.close();
  });

  it('loop is the loop given to the constructor', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    expect(timer.loop).toBe(loop);
    timer.close();
    loop.close();
  });

  it('fileno() throws a UVError with code EBADF', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const error = thrown(() => timer.fileno());
    expect(error).toBeInstanceOf(UVError);
    expect((error as UVError).code).toBe('EBADF');
    timer.close();
    loop.close();
  });
});

describe('Timer lifecycle', () => {
  it('active / closing / closed through start, fire, restart, close', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const flags = (): [boolean, boolean, boolean] => [timer.active, timer.closing, timer.closed];
    expect(flags()).toEqual([false, false, false]);
    let inCallback: [boolean, boolean, boolean] | undefined;
    timer.start(() => {
      inCallback = flags();
    }, 1);
    expect(flags()).toEqual([true, false, false]);
    loop.run();
    expect(inCallback).toEqual([false, false, false]); // a one-shot timer is inactive while its callback runs
    expect(flags()).toEqual([false, false, false]);
    timer.start(() => {}, 10_000);
    expect(flags()).toEqual([true, false, false]);
    timer.stop();
    expect(flags()).toEqual([false, false, false]);
    timer.start(() => {}, 10_000);
    timer.close();
    expect(flags()).toEqual([false, true, false]);
    loop.run();
    expect(flags()).toEqual([false, false, true]);
    loop.close();
  });

  it('close() inside its own callback: the callback runs once, the close callback once', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    let closeCalls = 0;
    let closeThis: unknown;
    timer.start((t) => {
      calls++;
      t.close(function (this: unknown) {
        closeCalls++;
        closeThis = this;
      });
      expect(t.closing).toBe(true);
    }, 1, 1);
    expect(loop.run()).toBe(false);
    expect(calls).toBe(1);
    expect(closeCalls).toBe(1);
    expect(closeThis).toBe(timer);
    expect(timer.closed).toBe(true);
    loop.close();
  });

  it('close() twice: the second call is a no-op and both callbacks run once', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    timer.start(() => {}, 10_000);
    const calls: string[] = [];
    timer.close(() => calls.push('a'));
    expect(timer.closing).toBe(true);
    timer.close(() => calls.push('b'));
    expect(timer.closing).toBe(true);
    expect(loop.run()).toBe(false);
    expect(calls).toEqual(['a', 'b']);
    expect(timer.closed).toBe(true);
    loop.close();
  });

  it('close() without a callback returns a promise; two such promises both resolve', async () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const p1 = timer.close();
    const p2 = timer.close();
    expect(p1).toBeInstanceOf(Promise);
    expect(p2).toBeInstanceOf(Promise);
    let settled = 0;
    void p1.then(() => settled++);
    void p2.then(() => settled++);
    loop.run();
    await Promise.all([p1, p2]);
    expect(settled).toBe(2);
    expect(timer.closed).toBe(true);
    loop.close();
  });

  it('close() with a callback returns undefined', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const result: unknown = timer.close(() => {});
    expect(result).toBeUndefined();
    loop.run();
    loop.close();
  });

  it('close() after closed: the callback still runs once, the promise resolves', async () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    timer.close();
    loop.run();
    expect(timer.closed).toBe(true);
    let calls = 0;
    await new Promise<void>((resolve) => {
      timer.close(() => {
        calls++;
        resolve();
      });
    });
    expect(calls).toBe(1);
    await expect(timer.close()).resolves.toBeUndefined();
    loop.close();
  });

  it('Symbol.dispose starts closing; Symbol.asyncDispose returns a promise of the close', async () => {
    const loop = new Loop();
    const a = new Timer(loop);
    a.start(() => {}, 10_000);
    a[Symbol.dispose]();
    expect(a.closing).toBe(true);
    const b = new Timer(loop);
    const promise = b[Symbol.asyncDispose]();
    expect(promise).toBeInstanceOf(Promise);
    expect(b.closing).toBe(true);
    expect(loop.run()).toBe(false);
    await expect(promise).resolves.toBeUndefined();
    expect([a.closed, b.closed]).toEqual([true, true]);
    loop.close();
  });

  it('close() rejects a non-function callback with ERR_INVALID_ARG_TYPE and stays open', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const close = timer.close.bind(timer) as (cb?: unknown) => unknown;
    expect(codeOf(() => close(42))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => close('x'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(timer.closing).toBe(false);
    expect(timer.closed).toBe(false);
    timer.close();
    loop.run();
    loop.close();
  });

  for (const state of ['closing', 'closed'] as const) {
    it(`every method throws ERR_HANDLE_CLOSED while ${state}`, () => {
      const loop = new Loop();
      const timer = new Timer(loop);
      timer.start(() => {}, 10_000, 5);
      timer.close();
      if (state === 'closed') loop.run();
      expect(timer.closing).toBe(state === 'closing');
      expect(timer.closed).toBe(state === 'closed');
      const calls: Record<string, () => unknown> = {
        start: () => timer.start(() => {}, 1),
        stop: () => timer.stop(),
        again: () => timer.again(),
        ref: () => timer.ref(),
        unref: () => timer.unref(),
        hasRef: () => timer.hasRef(),
        fileno: () => timer.fileno(),
        getRepeat: () => timer.repeat,
        setRepeat: () => {
          timer.repeat = 1;
        },
        dueIn: () => timer.dueIn,
      };
      const codes = Object.fromEntries(Object.entries(calls).map(([name, fn]) => [name, codeOf(fn)]));
      expect(codes).toEqual(Object.fromEntries(Object.keys(calls).map((name) => [name, 'ERR_HANDLE_CLOSED'])));
      expect(timer.active).toBe(false);
      loop.run();
      loop.close();
    });
  }
});

describe('Timer bad input', () => {
  it('start() validates callback, timeout and repeat before any side effect', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    const start = timer.start.bind(timer) as (cb: unknown, timeout: unknown, repeat?: unknown) => void;
    const cb = (): void => {};
    expect(codeOf(() => start(undefined, 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => start('cb', 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => start(cb, '1'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => start(cb, undefined))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => start(cb, 1n))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => start(cb, -1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => start(cb, NaN))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => start(cb, Infinity))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => start(cb, 2 ** 53))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => start(cb, 1, -1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => start(cb, 1, 'x'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => start(cb, 1, null))).toBe('ERR_INVALID_ARG_TYPE');
    expect(timer.active).toBe(false);
    expect(timer.repeat).toBe(0);
    expect(loop.run()).toBe(false);
    timer.close();
    loop.close();
  });

  it('the repeat setter validates its value and keeps the old one on error', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    timer.repeat = 4;
    const set = (value: unknown): void => {
      (timer as { repeat: unknown }).repeat = value;
    };
    expect(codeOf(() => set(-1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => set(NaN))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => set('5'))).toBe('ERR_INVALID_ARG_TYPE');
    expect(timer.repeat).toBe(4);
    timer.close();
    loop.close();
  });

  it('Timer methods called on a foreign object throw instead of crashing', () => {
    const loop = new Loop();
    const stop = Timer.prototype.stop as (this: unknown) => void;
    const start = Timer.prototype.start as (this: unknown, cb: () => void, timeout: number) => void;
    // V8 rejects the receiver ("Illegal invocation") before the addon's own ERR_INVALID_THIS check
    expect(thrown(() => stop.call({}))).toBeInstanceOf(TypeError);
    expect(thrown(() => stop.call(loop))).toBeInstanceOf(TypeError);
    expect(thrown(() => stop.call(undefined))).toBeInstanceOf(TypeError);
    expect(thrown(() => start.call(Object.create(Timer.prototype), () => {}, 1))).toBeInstanceOf(TypeError);
    expect(loop.handles).toEqual([]);
    loop.close();
  });
});

describe("Timer on Node's loop", () => {
  it('new Timer() is on Loop.default() and fires from Node\'s loop', async () => {
    const timer = new Timer();
    expect(timer.loop).toBe(Loop.default());
    expect(Loop.default().handles).toContain(timer);
    const fired = new Promise<Timer>((resolve) => {
      timer.start(resolve, 5);
    });
    expect(timer.active).toBe(true);
    expect(await fired).toBe(timer);
    expect(timer.active).toBe(false);
    await timer.close();
    expect(timer.closed).toBe(true);
    expect(Loop.default().handles).not.toContain(timer);
  });

  // As at a module's top level, which runs before Node's loop first turns (about 50 ms of bootstrap
  // on Node 22): the loop's cached time is stale, and the timer must still wait its full timeout.
  it("the timeout counts from start() when Node's loop time is stale, as with setTimeout", async () => {
    const timer = new Timer();
    sleepSync(60);
    const started = performance.now();
    const elapsed = await new Promise<number>((resolve) => {
      timer.start(() => resolve(performance.now() - started), 40);
    });
    expect(elapsed).toBeGreaterThanOrEqual(39);
    await timer.close();
  });

  it('ref / unref / hasRef on Node\'s loop; an unref()ed timer still fires while Node is alive', async () => {
    const timer = new Timer(Loop.default());
    expect(timer.hasRef()).toBe(true);
    expect(timer.unref()).toBe(timer);
    expect(timer.hasRef()).toBe(false);
    const fired = new Promise<void>((resolve) => {
      timer.start(() => resolve(), 5);
    });
    const keepAlive = setTimeout(() => {}, 10_000); // Node stays alive through our own timer
    try {
      await fired;
    } finally {
      clearTimeout(keepAlive);
    }
    expect(timer.ref().hasRef()).toBe(true);
    await timer.close();
  });

  it('a repeating timer on Node\'s loop fires N times, then closes from its callback', async () => {
    const timer = new Timer();
    let calls = 0;
    await new Promise<void>((resolve) => {
      timer.start((t) => {
        calls++;
        if (calls === 4) t.close(resolve);
      }, 1, 2);
    });
    expect(calls).toBe(4);
    expect(timer.closed).toBe(true);
  });

  it('AsyncLocalStorage: the callback sees the store where the timer was created and started, as with setTimeout', async () => {
    const als = new AsyncLocalStorage<string>();
    const [uvkitStore, nodeStore] = await als.run('outer', () =>
      Promise.all([
        new Promise<string | undefined>((resolve) => {
          const timer = new Timer();
          timer.start(() => {
            resolve(als.getStore());
            timer.close();
          }, 2);
        }),
        new Promise<string | undefined>((resolve) => {
          setTimeout(() => resolve(als.getStore()), 2);
        }),
      ]),
    );
    expect(nodeStore).toBe('outer');
    expect(uvkitStore).toBe('outer');
  });

  it('process.nextTick and promise jobs queued in a callback run before the next timer', async () => {
    const a = new Timer();
    const b = new Timer();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      a.start(() => {
        order.push('a');
        process.nextTick(() => order.push('a:tick'));
        void Promise.resolve().then(() => order.push('a:promise'));
      }, 5);
      b.start(() => {
        order.push('b');
        resolve();
      }, 5);
    });
    expect(order).toEqual(['a', 'a:tick', 'a:promise', 'b']);
    await Promise.all([a.close(), b.close()]);
  });
});
