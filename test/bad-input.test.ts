// Bad input to every public function and constructor (API.md: Loop, Handle, Loop watchers, Errors):
// wrong types, out-of-range numbers, unknown signals, closed handles and loops. Each case asserts the
// exact error class and `code` (DESIGN.md "Errors") and that nothing happened: a rejected call has
// no side effect (a rejected start() leaves the handle inactive, a rejected constructor creates no
// handle). reliability.md §2.3 lists the values.
import fc from 'fast-check';
import { closeSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Async, Check, FSEvent, FSPoll, Idle, Loop, Poll, Prepare, Signal, Timer, UVError, constants, errors, fs } from '../src/ts/index.js';
import type { AsyncToken, Handle } from '../src/ts/index.js';
import { capture, errorCode, NO_THROW } from './helpers/assert.js';

// ---------------------------------------------------------------------------------------------
// helpers

type ErrorClass = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor | typeof UVError;

function className(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return (value as { constructor?: { name?: string } }).constructor?.name ?? '?';
}

/** The call throws an instance of exactly `cls` (not a subclass) with `code`. */
function expectError(fn: () => unknown, cls: ErrorClass, code: string): unknown {
  const error = capture(fn);
  expect(error, 'expected the call to throw').not.toBe(NO_THROW);
  expect(className(error), `class of ${inspect(error)}`).toBe(cls.name);
  expect(Object.getPrototypeOf(error)).toBe(cls.prototype);
  expect(errorCode(error), `code of ${inspect(error)}`).toBe(code);
  return error;
}

function label(value: unknown): string {
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'function';
  if (typeof value === 'bigint') return `${value}n`;
  return inspect(value, { depth: 0, breakLength: Infinity });
}

function cases(values: readonly unknown[]): Array<{ label: string; value: unknown }> {
  return values.map((value) => ({ label: label(value), value }));
}

/** Calls `object[method](...args)` with arguments TypeScript would reject. */
function invoke(object: object, method: string | symbol, ...args: unknown[]): unknown {
  const fn: unknown = Reflect.get(object, method);
  if (typeof fn !== 'function') throw new Error(`no method ${String(method)}`);
  return Reflect.apply(fn, object, args) as unknown;
}

/** `object[property] = value` with a value TypeScript would reject. */
function assign(object: object, property: string, value: unknown): void {
  Reflect.set(object, property, value);
}

function construct(ctor: unknown, ...args: unknown[]): unknown {
  if (typeof ctor !== 'function') throw new Error('not a constructor');
  return Reflect.construct(ctor, args) as unknown;
}

/** Runs fn with a private loop that is closed afterwards, whatever happens. */
function withLoop<T>(fn: (loop: Loop) => T): T {
  const loop = new Loop();
  try {
    return fn(loop);
  } finally {
    loop.close();
  }
}

function counts(): { handles: number; uvHandles: number } {
  const { handles, uvHandles } = binding.debugCounts();
  return { handles, uvHandles };
}

const noop = (): void => {};

// ---------------------------------------------------------------------------------------------
// value tables

const notFunction = [undefined, null, true, 'str', 1, 1n, Symbol('s'), {}, [], new String('f'), Object.create(null)];
const notFunctionOptional = notFunction.filter((v) => v !== undefined);
const notNumber = [undefined, null, true, '1', '', 1n, Symbol('n'), {}, [], () => 1, new Number(1)];
const badMillis = [-1, -0.5, 2 ** 53, Infinity, -Infinity, NaN, Number.MAX_VALUE];
const notLoop = [null, true, 'str', 0, 1n, Symbol('l'), {}, [], new Date(0), Object.create(null), noop];
const notLoopForAsync = notLoop.filter((v) => typeof v !== 'function'); // a function there is the callback
const badSignalNumbers = [0, -1, 4096, 65, 1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31)];
const unknownSignalNames = ['SIGFOO', 'sigint', 'SIGINT ', '', 'INT', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'SIGINT\0'];
const notSignal = [undefined, null, true, 1n, Symbol('sig'), {}, [], noop, new String('SIGINT'), new Number(2)];

type HandleFactory = (loop?: Loop) => Handle;

interface HandleKind {
  name: string;
  make: HandleFactory;
  Ctor: unknown;
  /** Every call of this kind's own API (besides the Handle base), as they would be made on an open handle. */
  calls: Array<[string, (h: Handle) => unknown]>;
}

const asTimer = (h: Handle): Timer => h as Timer;
const asSignal = (h: Handle): Signal => h as Signal;
const asAsync = (h: Handle): Async => h as Async;
const asWatcher = (h: Handle): Prepare => h as Prepare;
const asFSEvent = (h: Handle): FSEvent => h as FSEvent;
const asFSPoll = (h: Handle): FSPoll => h as FSPoll;
// A directory to watch: every call below is made on closed handles or rejected before it watches.
const watchable = tmpdir();

const watcherCalls: HandleKind['calls'] = [
  ['start(cb)', (h) => asWatcher(h).start(noop)],
  ['stop()', (h) => asWatcher(h).stop()],
];

const kinds: HandleKind[] = [
  {
    name: 'Timer',
    make: (loop) => new Timer(loop),
    Ctor: Timer,
    calls: [
      ['start(cb, 1)', (h) => asTimer(h).start(noop, 1)],
      ['stop()', (h) => asTimer(h).stop()],
      ['again()', (h) => asTimer(h).again()],
      ['repeat (get)', (h) => asTimer(h).repeat],
      ['repeat = 5', (h) => (asTimer(h).repeat = 5)],
      ['dueIn (get)', (h) => asTimer(h).dueIn],
    ],
  },
  { name: 'Prepare', make: (loop) => new Prepare(loop), Ctor: Prepare, calls: watcherCalls },
  { name: 'Check', make: (loop) => new Check(loop), Ctor: Check, calls: watcherCalls },
  { name: 'Idle', make: (loop) => new Idle(loop), Ctor: Idle, calls: watcherCalls },
  {
    name: 'Async',
    make: (loop) => new Async(loop, noop),
    Ctor: Async,
    calls: [
      ['send()', (h) => asAsync(h).send()],
      ['sender()', (h) => asAsync(h).sender()],
    ],
  },
  {
    name: 'Signal',
    make: (loop) => new Signal(loop),
    Ctor: Signal,
    calls: [
      ["start(cb, 'SIGUSR2')", (h) => asSignal(h).start(noop, 'SIGUSR2')],
      ["startOneshot(cb, 'SIGUSR2')", (h) => asSignal(h).startOneshot(noop, 'SIGUSR2')],
      ['stop()', (h) => asSignal(h).stop()],
      ['signum (get)', (h) => asSignal(h).signum],
    ],
  },
  {
    name: 'FSEvent',
    make: (loop) => new FSEvent(loop),
    Ctor: FSEvent,
    calls: [
      ['start(dir, cb)', (h) => asFSEvent(h).start(watchable, noop)],
      ['start(dir, {}, cb)', (h) => asFSEvent(h).start(watchable, {}, noop)],
      ['stop()', (h) => asFSEvent(h).stop()],
      ['path (get)', (h) => asFSEvent(h).path],
    ],
  },
  {
    name: 'FSPoll',
    make: (loop) => new FSPoll(loop),
    Ctor: FSPoll,
    calls: [
      ['start(dir, 1000, cb)', (h) => asFSPoll(h).start(watchable, 1000, noop)],
      ['stop()', (h) => asFSPoll(h).stop()],
      ['path (get)', (h) => asFSPoll(h).path],
    ],
  },
];

const baseCalls: HandleKind['calls'] = [
  ['ref()', (h) => h.ref()],
  ['unref()', (h) => h.unref()],
  ['hasRef()', (h) => h.hasRef()],
  ['fileno()', (h) => h.fileno()],
];

// ---------------------------------------------------------------------------------------------
// Loop

describe('Loop: bad input', () => {
  it.each(cases([true, 'x', {}, null, 1n, Symbol('a')]))('new Loop($label) ignores the argument and makes a private loop', ({ value }) => {
    const loop = construct(Loop, value) as Loop;
    try {
      expect(loop).toBeInstanceOf(Loop);
      expect(loop.isDefault).toBe(false);
      expect(loop).not.toBe(Loop.default());
      expect(loop.closed).toBe(false);
    } finally {
      loop.close();
    }
  });

  it.each(cases([null, true, false, 0, 1, 2, 1n, Symbol('m'), {}, [], noop, new String('once')]))(
    'run($label) throws TypeError ERR_INVALID_ARG_TYPE',
    ({ value }) => {
      withLoop((loop) => {
        expectError(() => invoke(loop, 'run', value), TypeError, 'ERR_INVALID_ARG_TYPE');
      });
    },
  );

  it.each(cases(['', 'DEFAULT', 'Once', 'wait', 'nowait ', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'default\0']))(
    'run($label) throws TypeError ERR_INVALID_ARG_VALUE',
    ({ value }) => {
      withLoop((loop) => {
        expectError(() => invoke(loop, 'run', value), TypeError, 'ERR_INVALID_ARG_VALUE');
      });
    },
  );

  it('run() accepts undefined and the three mode names', () => {
    withLoop((loop) => {
      expect(loop.run()).toBe(false);
      expect(invoke(loop, 'run', undefined)).toBe(false);
      for (const mode of ['default', 'once', 'nowait'] as const) expect(loop.run(mode)).toBe(false);
    });
  });

  it('a rejected run() mode runs nothing', () => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      let calls = 0;
      timer.start(() => calls++, 0);
      expectError(() => invoke(loop, 'run', 'sometimes'), TypeError, 'ERR_INVALID_ARG_VALUE');
      expectError(() => invoke(loop, 'run', 0), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(calls).toBe(0);
      expect(timer.active).toBe(true);
      loop.run();
      expect(calls).toBe(1);
    });
  });

  it.each(cases([5, 'x', true, {}, [], 1n, Symbol('e'), new Date(0)]))('onError = $label throws TypeError ERR_INVALID_ARG_TYPE and keeps the handler', ({ value }) => {
    withLoop((loop) => {
      const handler = (): void => {};
      loop.onError = handler;
      expectError(() => assign(loop, 'onError', value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(loop.onError).toBe(handler);
    });
  });

  it('onError accepts null and undefined (both clear it)', () => {
    withLoop((loop) => {
      loop.onError = noop;
      loop.onError = null;
      expect(loop.onError).toBeNull();
      loop.onError = noop;
      assign(loop, 'onError', undefined);
      expect(loop.onError).toBeNull();
    });
  });

  it('argument-less methods ignore extra arguments of any type', () => {
    withLoop((loop) => {
      const junk = [Symbol('j'), {}, -1, 'x', 1n];
      expect(typeof invoke(loop, 'now', ...junk)).toBe('number');
      expect(invoke(loop, 'updateTime', ...junk)).toBeUndefined();
      expect(typeof invoke(loop, 'backendFd', ...junk)).toBe('number');
      expect(typeof invoke(loop, 'backendTimeout', ...junk)).toBe('number');
      expect(typeof (invoke(loop, 'metrics', ...junk) as { idleTime: unknown }).idleTime).toBe('number');
      expect(invoke(loop, 'stop', ...junk)).toBeUndefined();
    });
  });

  describe('on Node’s loop (Loop.default())', () => {
    it.each([
      ['run()', (l: Loop) => l.run()],
      ["run('nowait')", (l: Loop) => l.run('nowait')],
      ['stop()', (l: Loop) => l.stop()],
      ['close()', (l: Loop) => l.close()],
      ['embed()', (l: Loop) => l.embed()],
    ] as const)('%s throws Error ERR_LOOP_EXTERNAL', (_name, call) => {
      const loop = Loop.default();
      expectError(() => call(loop), Error, 'ERR_LOOP_EXTERNAL');
      expect(loop.closed).toBe(false);
    });

    it('[Symbol.dispose]() leaves it open', () => {
      const loop = Loop.default();
      loop[Symbol.dispose]();
      expect(loop.closed).toBe(false);
    });
  });

  describe('a closed loop', () => {
    const closedCalls: Array<[string, (l: Loop) => unknown]> = [
      ['run()', (l) => l.run()],
      ["run('once')", (l) => l.run('once')],
      ["run('nowait')", (l) => l.run('nowait')],
      ['stop()', (l) => l.stop()],
      ['now()', (l) => l.now()],
      ['updateTime()', (l) => l.updateTime()],
      ['backendFd()', (l) => l.backendFd()],
      ['backendTimeout()', (l) => l.backendTimeout()],
      ['metrics()', (l) => l.metrics()],
      ['embed()', (l) => l.embed()],
      ['unembed()', (l) => l.unembed()],
    ];

    it.each(closedCalls)('%s throws Error ERR_LOOP_CLOSED', (_name, call) => {
      const loop = new Loop();
      loop.close();
      expectError(() => call(loop), Error, 'ERR_LOOP_CLOSED');
      expect(loop.closed).toBe(true);
    });

    it('close() again is a no-op; state getters still answer', () => {
      const loop = new Loop();
      loop.close();
      expect(() => loop.close()).not.toThrow();
      expect(() => loop[Symbol.dispose]()).not.toThrow();
      expect(loop.closed).toBe(true);
      expect(loop.alive).toBe(false);
      expect(loop.isDefault).toBe(false);
      expect(loop.handles).toEqual([]);
    });

    it('a bad mode is still reported as a bad argument on a closed loop', () => {
      const loop = new Loop();
      loop.close();
      expectError(() => invoke(loop, 'run', 7), TypeError, 'ERR_INVALID_ARG_TYPE');
    });

    it.each(kinds)('new $name(closedLoop) throws Error ERR_LOOP_CLOSED and creates nothing', ({ make }) => {
      const loop = new Loop();
      loop.close();
      const before = counts();
      expectError(() => make(loop), Error, 'ERR_LOOP_CLOSED');
      expect(counts()).toEqual(before);
      expect(loop.handles).toEqual([]);
    });

    it.each(kinds)('new $name(loop) from a close callback while loop.close() runs throws ERR_LOOP_CLOSED', ({ make }) => {
      const loop = new Loop();
      const timer = new Timer(loop);
      let error: unknown = NO_THROW;
      timer.close(() => {
        error = capture(() => make(loop));
      });
      loop.close();
      expect(className(error)).toBe('Error');
      expect(errorCode(error)).toBe('ERR_LOOP_CLOSED');
    });
  });

  describe('calls from inside the loop’s own callbacks', () => {
    it.each([
      ['run()', (l: Loop) => l.run()],
      ["run('nowait')", (l: Loop) => l.run('nowait')],
      ['close()', (l: Loop) => l.close()],
      ['embed()', (l: Loop) => l.embed()],
    ] as const)('%s throws Error ERR_LOOP_RUNNING and the loop goes on', (_name, call) => {
      withLoop((loop) => {
        const timer = new Timer(loop);
        let error: unknown = NO_THROW;
        timer.start(() => {
          error = capture(() => call(loop));
        }, 0);
        expect(loop.run()).toBe(false);
        expect(className(error)).toBe('Error');
        expect(errorCode(error)).toBe('ERR_LOOP_RUNNING');
        expect(loop.closed).toBe(false);
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Handle constructors

describe('handle constructors: the loop argument', () => {
  const forged = (): unknown[] => [Object.create(Loop.prototype), Object.create(Loop.default())];

  for (const kind of kinds) {
    const values = kind.name === 'Async' ? notLoopForAsync : notLoop;
    it.each(cases(values))(`new ${kind.name}($label) throws TypeError ERR_INVALID_ARG_TYPE and creates nothing`, ({ value }) => {
      const before = counts();
      const defaultHandles = Loop.default().handles.length;
      expectError(() => construct(kind.Ctor, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(counts()).toEqual(before);
      expect(Loop.default().handles.length).toBe(defaultHandles);
    });

    it(`new ${kind.name}(forged Loop) is rejected natively with ERR_INVALID_ARG_TYPE`, () => {
      for (const fake of forged()) {
        const before = counts();
        expectError(() => construct(kind.Ctor, fake), TypeError, 'ERR_INVALID_ARG_TYPE');
        expect(counts()).toEqual(before);
      }
    });

    it(`new ${kind.name}(raw binding Loop) throws ERR_INVALID_ARG_TYPE`, () => {
      const raw = new binding.Loop(false);
      try {
        const before = counts();
        expectError(() => construct(kind.Ctor, raw), TypeError, 'ERR_INVALID_ARG_TYPE');
        expect(counts()).toEqual(before);
      } finally {
        raw.close();
      }
    });

    it(`new ${kind.name}() is on Loop.default()`, async () => {
      const handle = kind.make();
      try {
        expect(handle.loop).toBe(Loop.default());
        expect(Loop.default().handles).toContain(handle);
      } finally {
        await handle.close();
      }
    });
  }

  it.each(cases(notFunctionOptional))('new Async(loop, $label) throws TypeError ERR_INVALID_ARG_TYPE and creates nothing', ({ value }) => {
    withLoop((loop) => {
      const before = counts();
      expectError(() => construct(Async, loop, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(counts()).toEqual(before);
      expect(loop.handles).toEqual([]);
    });
  });

  it('new Async(fn, fn) (a function as the loop) throws ERR_INVALID_ARG_TYPE', () => {
    const before = counts();
    expectError(() => construct(Async, noop, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(counts()).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Handle base methods, on every kind

describe('Handle base: bad input and closed handles', () => {
  for (const kind of kinds) {
    describe(kind.name, () => {
      it.each(cases(notFunctionOptional))('close($label) throws TypeError ERR_INVALID_ARG_TYPE and does not close', ({ value }) => {
        withLoop((loop) => {
          const handle = kind.make(loop);
          expectError(() => invoke(handle, 'close', value), TypeError, 'ERR_INVALID_ARG_TYPE');
          expect(handle.closing).toBe(false);
          expect(handle.closed).toBe(false);
          expect(loop.handles).toContain(handle);
        });
      });

      it('fileno() on a handle without an fd throws UVError EBADF', () => {
        withLoop((loop) => {
          const handle = kind.make(loop);
          const error = expectError(() => handle.fileno(), UVError, 'EBADF') as UVError;
          expect(error.errno).toBe(errors.codes.EBADF);
          expect(typeof error.syscall).toBe('string');
        });
      });

      it('ref/unref/hasRef ignore extra arguments and return what API.md says', () => {
        withLoop((loop) => {
          const handle = kind.make(loop);
          expect(invoke(handle, 'unref', Symbol('x'), {})).toBe(handle);
          expect(invoke(handle, 'hasRef', 1n)).toBe(false);
          expect(invoke(handle, 'ref', null)).toBe(handle);
          expect(handle.hasRef()).toBe(true);
        });
      });

      const states: Array<[string, (loop: Loop) => Promise<Handle>]> = [
        [
          'closing (close() called, callback pending)',
          async (loop) => {
            const h = kind.make(loop);
            void h.close();
            expect(h.closing || h.closed).toBe(true);
            return h;
          },
        ],
        [
          'closed',
          async (loop) => {
            const h = kind.make(loop);
            const closed = h.close();
            loop.run();
            await closed;
            expect(h.closed).toBe(true);
            return h;
          },
        ],
        [
          'closed by loop.close()',
          async () => {
            const other = new Loop();
            const h = kind.make(other);
            other.close();
            expect(h.closed).toBe(true);
            return h;
          },
        ],
      ];

      for (const [state, reach] of states) {
        it.each([...baseCalls, ...kind.calls])(`%s on a ${state} handle throws Error ERR_HANDLE_CLOSED`, async (_name, call) => {
          const loop = new Loop();
          try {
            const handle = await reach(loop);
            expectError(() => call(handle), Error, 'ERR_HANDLE_CLOSED');
            expect(handle.active).toBe(false);
          } finally {
            loop.close();
          }
        });

        it(`close() on a ${state} handle is idempotent (promise and callback forms)`, async () => {
          const loop = new Loop();
          try {
            const handle = await reach(loop);
            let called = 0;
            const promise = handle.close();
            handle.close(() => called++);
            loop.run();
            await promise;
            await new Promise((resolve) => setImmediate(resolve));
            expect(called).toBe(1);
            expect(handle.closed).toBe(true);
          } finally {
            loop.close();
          }
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Timer

describe('Timer: bad input', () => {
  it.each(cases(notFunction))('start($label, 1) throws TypeError ERR_INVALID_ARG_TYPE; timer stays inactive', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      expectError(() => invoke(timer, 'start', value, 1), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(timer.active).toBe(false);
      expect(timer.hasRef()).toBe(true);
    });
  });

  it.each(cases(notNumber))('start(cb, $label) throws TypeError ERR_INVALID_ARG_TYPE; timer stays inactive', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      expectError(() => invoke(timer, 'start', noop, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(timer.active).toBe(false);
    });
  });

  it.each(cases(badMillis))('start(cb, $label) throws RangeError ERR_OUT_OF_RANGE; timer stays inactive', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      expectError(() => invoke(timer, 'start', noop, value), RangeError, 'ERR_OUT_OF_RANGE');
      expect(timer.active).toBe(false);
    });
  });

  it.each(cases(notNumber.filter((v) => v !== undefined)))('start(cb, 1, $label) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      expectError(() => invoke(timer, 'start', noop, 1, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(timer.active).toBe(false);
      expect(timer.repeat).toBe(0);
    });
  });

  it.each(cases(badMillis))('start(cb, 1, $label) throws RangeError ERR_OUT_OF_RANGE', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      expectError(() => invoke(timer, 'start', noop, 1, value), RangeError, 'ERR_OUT_OF_RANGE');
      expect(timer.active).toBe(false);
      expect(timer.repeat).toBe(0);
    });
  });

  it('accepts fractions (rounded up), 0 and 2^53-1, and an explicit undefined repeat', () => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      timer.start(noop, 1.5, 2.5);
      expect(timer.active).toBe(true);
      expect(timer.repeat).toBe(3);
      timer.start(noop, Number.MAX_SAFE_INTEGER, undefined);
      expect(timer.active).toBe(true);
      expect(timer.repeat).toBe(0);
      timer.start(noop, 0, Number.MAX_SAFE_INTEGER);
      expect(timer.repeat).toBe(Number.MAX_SAFE_INTEGER);
      timer.stop();
      expect(timer.active).toBe(false);
    });
  });

  it('a rejected restart keeps the running timer, its callback and its repeat', () => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      const fired: string[] = [];
      timer.start(() => {
        fired.push('first');
        timer.stop();
      }, 1, 7);
      expectError(() => invoke(timer, 'start', () => fired.push('second'), -1), RangeError, 'ERR_OUT_OF_RANGE');
      expectError(() => invoke(timer, 'start', () => fired.push('third'), 1, 'x'), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectError(() => invoke(timer, 'start', 'not a function', 1), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(timer.active).toBe(true);
      expect(timer.repeat).toBe(7);
      loop.run();
      expect(fired).toEqual(['first']);
    });
  });

  it.each(cases(notNumber))('repeat = $label throws TypeError ERR_INVALID_ARG_TYPE and keeps the repeat', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      timer.repeat = 5;
      expectError(() => assign(timer, 'repeat', value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(timer.repeat).toBe(5);
    });
  });

  it.each(cases(badMillis))('repeat = $label throws RangeError ERR_OUT_OF_RANGE and keeps the repeat', ({ value }) => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      timer.repeat = 5;
      expectError(() => assign(timer, 'repeat', value), RangeError, 'ERR_OUT_OF_RANGE');
      expect(timer.repeat).toBe(5);
    });
  });

  it('again() on a timer never started throws UVError EINVAL and starts nothing', () => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      timer.repeat = 10;
      const error = expectError(() => timer.again(), UVError, 'EINVAL') as UVError;
      expect(error.syscall).toBe('uv_timer_again');
      expect(timer.active).toBe(false);
    });
  });

  it('stop() and again() ignore extra arguments', () => {
    withLoop((loop) => {
      const timer = new Timer(loop);
      timer.start(noop, 1000, 1000);
      expect(invoke(timer, 'stop', 'x', -1)).toBeUndefined();
      expect(timer.active).toBe(false);
      expect(invoke(timer, 'again', Symbol('x'))).toBeUndefined();
      expect(timer.active).toBe(true);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Prepare, Check, Idle

describe.each([
  { name: 'Prepare', make: (loop: Loop) => new Prepare(loop) },
  { name: 'Check', make: (loop: Loop) => new Check(loop) },
  { name: 'Idle', make: (loop: Loop) => new Idle(loop) },
])('$name: bad input', ({ make }) => {
  it.each(cases(notFunction))('start($label) throws TypeError ERR_INVALID_ARG_TYPE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const watcher = make(loop);
      expectError(() => invoke(watcher, 'start', value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(false);
    });
  });

  it('a rejected restart keeps the running callback', () => {
    withLoop((loop) => {
      const watcher = make(loop);
      const calls: string[] = [];
      // Prepare/Check/Idle fire once per loop iteration; a repeating 1 ms timer keeps the poll
      // bounded (a loop whose only active handle is a Check blocks in poll forever).
      const timer = new Timer(loop);
      watcher.start(() => {
        calls.push('first');
        watcher.stop();
        timer.stop();
      });
      expectError(() => invoke(watcher, 'start', 42), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(true);
      timer.start(noop, 1, 1);
      loop.run();
      expect(calls).toEqual(['first']);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Async

describe('Async: bad input', () => {
  const wrongTypeTokens = [
    undefined, null, 5, 'x', true, 1n, Symbol('t'), [], {}, noop, new Number(1),
    { uvkitAsync: '1' }, { uvkitAsync: 1n }, { uvkitAsync: null }, { uvkitAsync: {} }, { uvkitasync: 1 },
    { uvkitAsync: new Number(1) },
  ];
  const outOfRangeIds = [0, -1, -0, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, -(2 ** 53)];

  it.each(cases(wrongTypeTokens))('Async.send($label) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    expectError(() => Reflect.apply(Async.send, Async, [value]) as unknown, TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it.each(cases(outOfRangeIds))('Async.send({ uvkitAsync: $label }) throws RangeError ERR_OUT_OF_RANGE', ({ value }) => {
    expectError(() => Async.send({ uvkitAsync: value as number }), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it.each(cases([2 ** 53 - 1, 123456789, 2 ** 31, 2 ** 32 + 1]))('Async.send({ uvkitAsync: $label }) (forged, in range) returns false', ({ value }) => {
    expect(Async.send({ uvkitAsync: value as number })).toBe(false);
  });

  it('a token whose getter throws propagates that error (no crash)', () => {
    const boom = new Error('getter');
    const token = Object.defineProperty({}, 'uvkitAsync', {
      get() {
        throw boom;
      },
    });
    expect(capture(() => Async.send(token as AsyncToken))).toBe(boom);
  });

  it('a real token wakes its handle, survives structuredClone, and is a harmless false once closed', () => {
    const loop = new Loop();
    let calls = 0;
    const handle = new Async(loop, () => {
      calls++;
      handle.close();
    });
    const token = handle.sender();
    expect(Async.send(structuredClone(token))).toBe(true);
    expect(Async.send({ ...token, extra: 1 } as AsyncToken)).toBe(true);
    loop.run();
    expect(calls).toBe(1);
    expect(handle.closed).toBe(true);
    expect(Async.send(token)).toBe(false);
    loop.close();
    expect(Async.send(token)).toBe(false);
  });

  it('a token of a handle closed by loop.close() returns false', () => {
    const loop = new Loop();
    const handle = new Async(loop);
    const token = handle.sender();
    loop.close();
    expect(Async.send(token)).toBe(false);
  });

  it('fast-check: Async.send(anything) returns false or throws a coded TypeError/RangeError', () => {
    const tokenArb = fc.oneof(
      fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true, withTypedArray: true }),
      fc.record({ uvkitAsync: fc.oneof(fc.double(), fc.integer(), fc.bigInt(), fc.string()) }),
    );
    fc.assert(
      fc.property(tokenArb, (token) => {
        const outcome = capture(() => {
          const result = Reflect.apply(Async.send, Async, [token]) as unknown;
          if (result !== false) throw new Error(`returned ${inspect(result)}`);
        });
        if (outcome === NO_THROW) return;
        expect(['TypeError', 'RangeError']).toContain(className(outcome));
        expect(['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE']).toContain(errorCode(outcome));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Signal

describe('Signal: bad input', () => {
  const starts = ['start', 'startOneshot'] as const;

  for (const method of starts) {
    describe(method, () => {
      it.each(cases(notFunction))(`${method}($label, 'SIGUSR2') throws TypeError ERR_INVALID_ARG_TYPE`, ({ value }) => {
        withLoop((loop) => {
          const signal = new Signal(loop);
          expectError(() => invoke(signal, method, value, 'SIGUSR2'), TypeError, 'ERR_INVALID_ARG_TYPE');
          expect(signal.active).toBe(false);
          expect(signal.signum).toBe(0);
        });
      });

      it.each(cases(unknownSignalNames))(`${method}(cb, $label) throws TypeError ERR_UNKNOWN_SIGNAL`, ({ value }) => {
        withLoop((loop) => {
          const signal = new Signal(loop);
          expectError(() => invoke(signal, method, noop, value), TypeError, 'ERR_UNKNOWN_SIGNAL');
          expect(signal.active).toBe(false);
        });
      });

      it.each(cases(badSignalNumbers))(`${method}(cb, $label) throws RangeError ERR_OUT_OF_RANGE`, ({ value }) => {
        withLoop((loop) => {
          const signal = new Signal(loop);
          expectError(() => invoke(signal, method, noop, value), RangeError, 'ERR_OUT_OF_RANGE');
          expect(signal.active).toBe(false);
        });
      });

      it.each(cases(notSignal))(`${method}(cb, $label) throws TypeError ERR_INVALID_ARG_TYPE`, ({ value }) => {
        withLoop((loop) => {
          const signal = new Signal(loop);
          expectError(() => invoke(signal, method, noop, value), TypeError, 'ERR_INVALID_ARG_TYPE');
          expect(signal.active).toBe(false);
        });
      });

      it.runIf(process.platform !== 'win32').each(cases(['SIGKILL', 'SIGSTOP', constants.signals.SIGKILL, constants.signals.SIGSTOP]))(
        `${method}(cb, $label) throws UVError EINVAL from libuv; stays inactive`,
        ({ value }) => {
          withLoop((loop) => {
            const signal = new Signal(loop);
            const error = expectError(() => invoke(signal, method, noop, value), UVError, 'EINVAL') as UVError;
            expect(error.errno).toBe(errors.codes.EINVAL);
            expect(error.syscall).toMatch(/signal_start/);
            expect(signal.active).toBe(false);
            expect(signal.signum).toBe(0);
          });
        },
      );

      it(`a rejected ${method} keeps a running watcher on its signal`, () => {
        withLoop((loop) => {
          const signal = new Signal(loop);
          signal.start(noop, 'SIGUSR2');
          expectError(() => invoke(signal, method, noop, 'SIGFOO'), TypeError, 'ERR_UNKNOWN_SIGNAL');
          expectError(() => invoke(signal, method, noop, 0), RangeError, 'ERR_OUT_OF_RANGE');
          expect(signal.active).toBe(true);
          expect(signal.signum).toBe(constants.signals.SIGUSR2);
        });
      });
    });
  }

  it('a name and its number are both accepted', () => {
    withLoop((loop) => {
      const signal = new Signal(loop);
      signal.start(noop, 'SIGUSR2');
      expect(signal.signum).toBe(constants.signals.SIGUSR2);
      signal.startOneshot(noop, constants.signals.SIGUSR1 ?? 10);
      expect(signal.signum).toBe(constants.signals.SIGUSR1);
      signal.stop();
      expect(signal.active).toBe(false);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Poll (its constructor takes an fd after the loop, so the loop-only tables above do not fit it)

describe('Poll: bad input', () => {
  // The master side of a pseudo-terminal: an fd epoll can watch, owned by this file.
  let fd = -1;
  beforeAll(() => {
    fd = openSync('/dev/ptmx', 'r+');
  });
  afterAll(() => {
    closeSync(fd);
  });

  const notFd = [undefined, null, true, '3', '', 1n, Symbol('fd'), {}, [], noop, new Number(3)];
  const badFd = [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, -(2 ** 31)];
  const badEvents = [0, 16, 17, -1, 1.5, NaN, Infinity, 2 ** 31, 255];
  const notPollLoop = notLoop.filter((v) => typeof v !== 'number' && v !== undefined); // a number there is the fd

  it.each(cases(notFd))('new Poll(loop, $label) throws TypeError ERR_INVALID_ARG_TYPE and creates nothing', ({ value }) => {
    withLoop((loop) => {
      const before = counts();
      expectError(() => construct(Poll, loop, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(counts()).toEqual(before);
      expect(loop.handles).toEqual([]);
    });
  });

  it.each(cases(badFd))('new Poll(loop, $label) throws RangeError ERR_OUT_OF_RANGE and creates nothing', ({ value }) => {
    withLoop((loop) => {
      const before = counts();
      expectError(() => construct(Poll, loop, value), RangeError, 'ERR_OUT_OF_RANGE');
      expect(counts()).toEqual(before);
    });
  });

  it.each(cases(notPollLoop))('new Poll($label, fd) throws TypeError ERR_INVALID_ARG_TYPE and creates nothing', ({ value }) => {
    const before = counts();
    expectError(() => construct(Poll, value, fd), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(counts()).toEqual(before);
  });

  it('new Poll(closedLoop, fd) throws Error ERR_LOOP_CLOSED; new Poll(fd) is on Loop.default()', async () => {
    const closed = new Loop();
    closed.close();
    expectError(() => new Poll(closed, fd), Error, 'ERR_LOOP_CLOSED');
    const poll = new Poll(fd);
    expect(poll.loop).toBe(Loop.default());
    expect(poll.fileno()).toBe(fd);
    await poll.close();
  });

  it.each(cases(badEvents))('start($label, cb) throws RangeError ERR_OUT_OF_RANGE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const poll = new Poll(loop, fd);
      expectError(() => invoke(poll, 'start', value, noop), RangeError, 'ERR_OUT_OF_RANGE');
      expect(poll.active).toBe(false);
    });
  });

  it.each(cases(notNumber))('start($label, cb) throws TypeError ERR_INVALID_ARG_TYPE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const poll = new Poll(loop, fd);
      expectError(() => invoke(poll, 'start', value, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(poll.active).toBe(false);
    });
  });

  it.each(cases(notFunction))('start(READABLE, $label) throws TypeError ERR_INVALID_ARG_TYPE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const poll = new Poll(loop, fd);
      expectError(() => invoke(poll, 'start', constants.poll.READABLE, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(poll.active).toBe(false);
    });
  });

  it('a rejected restart keeps the running Poll, its mask and its callback', () => {
    withLoop((loop) => {
      const poll = new Poll(loop, fd);
      const calls: string[] = [];
      poll.start(constants.poll.WRITABLE, () => {
        calls.push('first');
        poll.stop();
      });
      expectError(() => invoke(poll, 'start', 0, () => calls.push('second')), RangeError, 'ERR_OUT_OF_RANGE');
      expectError(() => invoke(poll, 'start', constants.poll.READABLE, 'cb'), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(poll.active).toBe(true);
      loop.run(); // a pty master is writable at once
      expect(calls).toEqual(['first']);
    });
  });

  const pollCalls: Array<[string, (p: Poll) => unknown]> = [
    ['start(READABLE, cb)', (p) => p.start(constants.poll.READABLE, noop)],
    ['stop()', (p) => p.stop()],
    ['fileno()', (p) => p.fileno()],
    ['ref()', (p) => p.ref()],
    ['unref()', (p) => p.unref()],
    ['hasRef()', (p) => p.hasRef()],
  ];
  const closedStates: Array<[string, (loop: Loop) => Poll]> = [
    ['closing', (loop) => {
      const p = new Poll(loop, fd);
      void p.close();
      return p;
    }],
    ['closed', (loop) => {
      const p = new Poll(loop, fd);
      void p.close();
      loop.run();
      return p;
    }],
    ['closed by loop.close()', () => {
      const other = new Loop();
      const p = new Poll(other, fd);
      other.close();
      return p;
    }],
  ];
  for (const [state, reach] of closedStates) {
    it.each(pollCalls)(`%s on a ${state} Poll throws Error ERR_HANDLE_CLOSED`, (_name, call) => {
      withLoop((loop) => {
        const poll = reach(loop);
        expectError(() => call(poll), Error, 'ERR_HANDLE_CLOSED');
        expect(poll.active).toBe(false);
        expect(() => poll.close()).not.toThrow(); // idempotent
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// FSEvent, FSPoll

describe('FSEvent: bad input', () => {
  const notPath = [undefined, null, true, 1, 1n, Symbol('p'), {}, [], noop, new String('/tmp'), Buffer.from('/tmp')];
  const nulPaths = ['\0', 'a\0', `${watchable}\0x`];

  it.each(cases(notPath))('start($label, cb) throws TypeError ERR_INVALID_ARG_TYPE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const watcher = new FSEvent(loop);
      expectError(() => invoke(watcher, 'start', value, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(false);
    });
  });

  it.each(cases(nulPaths))('start($label, cb) throws TypeError ERR_INVALID_ARG_VALUE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const watcher = new FSEvent(loop);
      expectError(() => invoke(watcher, 'start', value, noop), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(watcher.active).toBe(false);
    });
  });

  it.each(cases([null, 1, 'x', true, 1n, Symbol('o'), []]))('start(dir, $label, cb) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    withLoop((loop) => {
      const watcher = new FSEvent(loop);
      expectError(() => invoke(watcher, 'start', watchable, value, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(false);
    });
  });

  it.each(cases([null, 1, 'yes', {}, 1n]))('start(dir, { recursive: $label }, cb) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    withLoop((loop) => {
      const watcher = new FSEvent(loop);
      expectError(() => invoke(watcher, 'start', watchable, { recursive: value }, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(false);
    });
  });

  it.each(cases(notFunction))('start(dir, {}, $label) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    withLoop((loop) => {
      const watcher = new FSEvent(loop);
      expectError(() => invoke(watcher, 'start', watchable, {}, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(false);
    });
  });

  it('a rejected restart keeps the running watch and its path', () => {
    withLoop((loop) => {
      const watcher = new FSEvent(loop);
      watcher.start(watchable, noop);
      expectError(() => invoke(watcher, 'start', 'a\0b', noop), TypeError, 'ERR_INVALID_ARG_VALUE');
      expectError(() => invoke(watcher, 'start', watchable, { recursive: 1 }, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(watcher.active).toBe(true);
      expect(watcher.path).toBe(watchable);
    });
  });
});

describe('FSPoll: bad input', () => {
  const notPath = [undefined, null, true, 1, 1n, Symbol('p'), {}, [], noop, new String('/tmp'), Buffer.from('/tmp')];
  const badIntervals = [-1, -0.5, NaN, Infinity, -Infinity, 2 ** 32, 2 ** 53, Number.MAX_VALUE];

  it.each(cases(notPath))('start($label, 10, cb) throws TypeError ERR_INVALID_ARG_TYPE; stays inactive', ({ value }) => {
    withLoop((loop) => {
      const poll = new FSPoll(loop);
      expectError(() => invoke(poll, 'start', value, 10, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(poll.active).toBe(false);
    });
  });

  it.each(cases(['\0', 'a\0', `${watchable}\0x`]))('start($label, 10, cb) throws TypeError ERR_INVALID_ARG_VALUE', ({ value }) => {
    withLoop((loop) => {
      const poll = new FSPoll(loop);
      expectError(() => invoke(poll, 'start', value, 10, noop), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(poll.active).toBe(false);
    });
  });

  it.each(cases(notNumber))('start(dir, $label, cb) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    withLoop((loop) => {
      const poll = new FSPoll(loop);
      expectError(() => invoke(poll, 'start', watchable, value, noop), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(poll.active).toBe(false);
    });
  });

  it.each(cases(badIntervals))('start(dir, $label, cb) throws RangeError ERR_OUT_OF_RANGE', ({ value }) => {
    withLoop((loop) => {
      const poll = new FSPoll(loop);
      expectError(() => invoke(poll, 'start', watchable, value, noop), RangeError, 'ERR_OUT_OF_RANGE');
      expect(poll.active).toBe(false);
    });
  });

  it.each(cases(notFunction))('start(dir, 10, $label) throws TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    withLoop((loop) => {
      const poll = new FSPoll(loop);
      expectError(() => invoke(poll, 'start', watchable, 10, value), TypeError, 'ERR_INVALID_ARG_TYPE');
      expect(poll.active).toBe(false);
    });
  });

  it('a rejected restart keeps the running poll and its path', () => {
    withLoop((loop) => {
      const poll = new FSPoll(loop);
      poll.start(watchable, 1000, noop);
      expectError(() => invoke(poll, 'start', watchable, -1, noop), RangeError, 'ERR_OUT_OF_RANGE');
      expectError(() => invoke(poll, 'start', 'a\0b', 10, noop), TypeError, 'ERR_INVALID_ARG_VALUE');
      expect(poll.active).toBe(true);
      expect(poll.path).toBe(watchable);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based: any argument to any public method either works or throws a coded error

describe('fast-check: public methods with arbitrary arguments', () => {
  const anyArb = fc.oneof(
    fc.anything({ maxDepth: 1, withBigInt: true, withBoxedValues: true, withNullPrototype: true, withTypedArray: true }),
    fc.constantFrom<unknown>(noop, Symbol('s'), -1, 0, 1, 1.5, NaN, Infinity, 2 ** 53, 'SIGFOO', 'once', null, undefined),
  );
  const argsArb = fc.array(anyArb, { maxLength: 4 });
  const allowedCodes = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE', 'ERR_UNKNOWN_SIGNAL', 'ERR_LOOP_RUNNING', 'ERR_LOOP_EXTERNAL']);
  // Dangerous-but-valid signal numbers would install real handlers in this test worker.
  const safeSignal = (args: unknown[]): unknown[] => {
    const [cb, sig, ...rest] = args;
    const risky = (typeof sig === 'number' && Number.isInteger(sig) && sig >= 1 && sig <= 64) || (typeof sig === 'string' && Object.hasOwn(constants.signals, sig));
    return risky ? [cb, 'SIGUSR2', ...rest] : args;
  };

  // The Poll target watches a pseudo-terminal master (opened on first use, closed after the file).
  let ptyFd = -1;
  const pollFd = (): number => (ptyFd >= 0 ? ptyFd : (ptyFd = openSync('/dev/ptmx', 'r+')));
  afterAll(() => {
    if (ptyFd >= 0) closeSync(ptyFd);
  });

  const targets: Array<{ name: string; make: (loop: Loop) => object; methods: string[] }> = [
    { name: 'Loop', make: (loop) => loop, methods: ['run', 'stop', 'now', 'updateTime', 'backendFd', 'backendTimeout', 'metrics', 'unembed'] },
    { name: 'Timer', make: (loop) => new Timer(loop), methods: ['start', 'stop', 'again', 'ref', 'unref', 'hasRef', 'fileno'] },
    { name: 'Prepare', make: (loop) => new Prepare(loop), methods: ['start', 'stop'] },
    { name: 'Check', make: (loop) => new Check(loop), methods: ['start', 'stop'] },
    { name: 'Idle', make: (loop) => new Idle(loop), methods: ['start', 'stop'] },
    { name: 'Async', make: (loop) => new Async(loop), methods: ['send', 'sender'] },
    { name: 'Signal', make: (loop) => new Signal(loop), methods: ['start', 'startOneshot', 'stop'] },
    { name: 'Poll', make: (loop) => new Poll(loop, pollFd()), methods: ['start', 'stop', 'fileno'] },
    { name: 'FSEvent', make: (loop) => new FSEvent(loop), methods: ['start', 'stop'] },
    { name: 'FSPoll', make: (loop) => new FSPoll(loop), methods: ['start', 'stop'] },
  ];

  it.each(targets)('$name', ({ name, make, methods }) => {
    withLoop((loop) => {
      const object = make(loop);
      fc.assert(
        fc.property(fc.constantFrom(...methods), argsArb, (method, args) => {
          const callArgs = name === 'Signal' ? safeSignal(args) : args;
          // A blocking run() could wait on the handle: unref it first.
          if (method === 'run' && object instanceof Loop) for (const h of object.handles) if (!h.closed) h.unref();
          const outcome = capture(() => invoke(object, method, ...callArgs));
          if (outcome === NO_THROW) return;
          if (outcome instanceof UVError) return; // libuv's own answer (EINVAL for SIGKILL, again() unstarted)
          expect(outcome).toBeInstanceOf(Error);
          expect(allowedCodes, `${name}.${method}(${callArgs.map(label).join(', ')}) threw ${inspect(outcome)}`).toContain(errorCode(outcome));
        }),
        { numRuns: 300 },
      );
    });
  });

  it('handle constructors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), argsArb, (kind, args) => {
        const loopless = args.filter((a) => a !== undefined);
        const before = counts();
        const outcome = capture(() => {
          const handle = construct(kind.Ctor, ...loopless) as Handle;
          // valid only when the first argument was a Loop (or a callback for Async): close it again
          void handle.close();
        });
        if (outcome === NO_THROW) return;
        expect(className(outcome)).toBe('TypeError');
        expect(errorCode(outcome)).toBe('ERR_INVALID_ARG_TYPE');
        expect(counts()).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// fs (API.md "fs"): every function, every argument, in its three forms (callback, promise, Sync).
// A bad argument throws synchronously in each form (the promise form too: no rejected promise),
// before anything starts: no request in flight, the scratch directory, its files and the open fd
// unchanged.

describe('fs: bad input', () => {
  interface Ctx {
    dir: string;
    file: string;
    sub: string;
    fd: number;
  }

  type Kind =
    | 'path'
    | 'fd'
    | 'mode'
    | 'modeRequired'
    | 'accessMode'
    | 'flags'
    | 'openMode'
    | 'id'
    | 'time'
    | 'readBuffer'
    | 'writeBuffer'
    | 'buffers'
    | 'offset'
    | 'length'
    | 'position'
    | 'copyMode'
    | 'symlinkType'
    | 'truncLength'
    | 'size'
    | 'encoding'
    | 'string';

  const T = 'ERR_INVALID_ARG_TYPE';
  // The ops whose options may be the encoding of the names they return (a string).
  const OPS_WITH_NAMES = new Set(['readlink', 'realpath', 'mkdtemp', 'mkstemp', 'scandir']);
  const R = 'ERR_OUT_OF_RANGE';
  const V = 'ERR_INVALID_ARG_VALUE';
  type Bad = Array<[unknown, string]>;

  const notObjectsOrStrings: unknown[] = [undefined, null, 1, true, 1n, Symbol('p'), noop, {}, [], new String('x'), new Number(1), new Date(0)];
  const badFd: Bad = [
    ...['1', null, undefined, true, 1n, {}, [], Symbol('fd'), new Number(3)].map((v): [unknown, string] => [v, T]),
    ...[-1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, -0.5].map((v): [unknown, string] => [v, R]),
  ];
  // An optional positional argument that is a plain object is the options object (as in Node), so
  // objects are bad values only where the argument is required or not last.
  const badMode = (required: boolean, max: number): Bad => [
    ...[true, 1n, [], Symbol('m'), ...(required ? [undefined, {}, noop] : [])].map((v): [unknown, string] => [v, T]),
    ...['8', 'abc', '', '0x1ff', '-1', ' 7', '7 ', '0o7', '1e3'].map((v): [unknown, string] => [v, V]),
    ...[-1, max + 1, 1.5, NaN, Infinity, -Infinity].map((v): [unknown, string] => [v, R]),
  ];
  const badTime: Bad = [undefined, null, 'abc', '', ' ', NaN, Infinity, -Infinity, {}, [], new Date(Number.NaN), true, 1n, Symbol('t')].map((v): [unknown, string] => [v, T]);
  const badPosition: Bad = [
    ...['1', true, Symbol('pos')].map((v): [unknown, string] => [v, T]),
    ...[-2, 1.5, NaN, Infinity, 2 ** 53, -(2 ** 31), 2n ** 63n, -2n].map((v): [unknown, string] => [v, R]),
  ];

  function badValues(kind: Kind): Bad {
    switch (kind) {
      case 'path':
        return [
          ...notObjectsOrStrings.map((v): [unknown, string] => [v, T]),
          [new URL('http://example.com/x'), T],
          [new Int32Array(2), T],
          [new DataView(new ArrayBuffer(2)), T],
          ['a\u0000b', V],
          ['\u0000', V],
          [Buffer.from('a\u0000b'), V],
          [new Uint8Array([0x61, 0]), V],
          [new URL('file:///a%00b'), V],
          [new URL('file://host/x'), 'ERR_INVALID_FILE_URL_HOST'],
          [new URL('file:///a%2fb'), 'ERR_INVALID_FILE_URL_PATH'],
        ];
      case 'fd':
        return badFd;
      case 'mode':
        return badMode(false, 0o7777);
      case 'modeRequired':
        return badMode(true, 0o7777);
      case 'openMode':
        return badMode(false, 0xffff);
      case 'accessMode':
        return [
          ...[true, 1n, [], Symbol('a')].map((v): [unknown, string] => [v, T]),
          ...['', '8', 'r'].map((v): [unknown, string] => [v, V]),
          ...[-1, 8, 1.5, NaN, Infinity].map((v): [unknown, string] => [v, R]),
        ];
      case 'flags':
        return [
          ...[true, 1n, {}, [], Symbol('f'), new String('r')].map((v): [unknown, string] => [v, T]),
          ...['rw', 'x', '', 'R', 'r ', 'toString', '__proto__', 'constructor', 'w\u0000'].map((v): [unknown, string] => [v, V]),
          ...[1.5, NaN, Infinity, 2 ** 31, -(2 ** 31) - 1].map((v): [unknown, string] => [v, R]),
        ];
      case 'id':
        return [
          ...['0', null, undefined, true, 1n, {}, Symbol('id')].map((v): [unknown, string] => [v, T]),
          ...[-2, 2 ** 32, 1.5, NaN, Infinity].map((v): [unknown, string] => [v, R]),
        ];
      case 'time':
        return badTime;
      case 'readBuffer':
      case 'writeBuffer':
        return [
          ...[null, undefined, 1, true, {}, Symbol('b'), new ArrayBuffer(8), new String('x'), ...(kind === 'readBuffer' ? ['str'] : [])].map((v): [unknown, string] => [v, T]),
          [[], V],
          [[Buffer.alloc(1), 'x'], T],
          [[Buffer.alloc(1), null], T],
          [[new ArrayBuffer(1)], T],
        ];
      case 'buffers':
        return [
          ...[null, undefined, 1, 'str', Buffer.alloc(1), {}, new Set([Buffer.alloc(1)])].map((v): [unknown, string] => [v, T]),
          [[], V],
          [[Buffer.alloc(1), 'x'], T],
          [[1], T],
        ];
      case 'offset':
        return [
          ...['1', true, 1n, Symbol('o')].map((v): [unknown, string] => [v, T]),
          ...[-1, 1.5, NaN, Infinity, 9, 2 ** 53].map((v): [unknown, string] => [v, R]),
        ];
      case 'length':
        return [
          ...['1', true, 1n, Symbol('l')].map((v): [unknown, string] => [v, T]),
          ...[-1, 1.5, NaN, Infinity, 9, 2 ** 31].map((v): [unknown, string] => [v, R]),
        ];
      case 'position':
        return badPosition;
      case 'copyMode':
        return [
          ...['1', true, 1n, Symbol('c')].map((v): [unknown, string] => [v, T]),
          ...[-1, 8, 1.5, NaN, Infinity].map((v): [unknown, string] => [v, R]),
        ];
      case 'symlinkType':
        return [
          ...['bogus', 'FILE', 'dir ', '', true, 1n, Symbol('s')].map((v): [unknown, string] => [v, V]),
          ...[-1, 8, 1.5, NaN].map((v): [unknown, string] => [v, R]),
        ];
      case 'truncLength':
      case 'size':
        return [
          ...['0', true, 1n, Symbol('n'), ...(kind === 'size' ? [null, undefined, {}] : [])].map((v): [unknown, string] => [v, T]),
          ...[-1, 1.5, NaN, Infinity, 2 ** 53].map((v): [unknown, string] => [v, R]),
        ];
      case 'encoding':
        return [
          ...['bogus', 'utf-9', '', 5, true, Symbol('e')].map((v): [unknown, string] => [v, V]),
        ];
      case 'string':
        return [];
    }
  }

  interface FsOp {
    name: string;
    /** The function name (differs from `name` for the string form of write). */
    fn: string;
    /** Valid arguments, fresh for each call; kinds[i] says what args[i] is. */
    args: (c: Ctx) => unknown[];
    kinds: Kind[];
    hasSync?: boolean;
  }

  const op = (name: string, kinds: Kind[], args: (c: Ctx) => unknown[], fn = name): FsOp => ({ name, fn, args, kinds });
  const ops: FsOp[] = [
    ...['stat', 'lstat', 'statfs', 'readlink', 'realpath', 'scandir'].map((n) => op(n, ['path'], (c) => [c.file])),
    op('unlink', ['path'], (c) => [c.file]),
    op('rmdir', ['path'], (c) => [c.sub]),
    op('mkdtemp', ['path'], (c) => [path.join(c.dir, 'tmp-')]),
    op('mkstemp', ['path'], (c) => [path.join(c.dir, 'tmp-')]),
    op('opendir', ['path'], (c) => [c.dir]),
    ...['close', 'fstat', 'fsync', 'fdatasync'].map((n) => op(n, ['fd'], (c) => [c.fd])),
    op('open', ['path', 'flags', 'openMode'], (c) => [path.join(c.dir, 'new'), 'w', 0o644]),
    op('read', ['fd', 'readBuffer', 'offset', 'length', 'position'], (c) => [c.fd, Buffer.alloc(8), 0, 8, 0]),
    op('write', ['fd', 'writeBuffer', 'offset', 'length', 'position'], (c) => [c.fd, Buffer.from('12345678'), 0, 8, 0]),
    op('write(string)', ['fd', 'string', 'position', 'encoding'], (c) => [c.fd, 'text', 0, 'utf8'], 'write'),
    op('readv', ['fd', 'buffers', 'position'], (c) => [c.fd, [Buffer.alloc(4)], 0]),
    op('writev', ['fd', 'buffers', 'position'], (c) => [c.fd, [Buffer.from('1234')], 0]),
    op('mkdir', ['path', 'mode'], (c) => [path.join(c.dir, 'newdir'), 0o755]),
    op('chmod', ['path', 'modeRequired'], (c) => [c.file, 0o600]),
    op('fchmod', ['fd', 'modeRequired'], (c) => [c.fd, 0o600]),
    op('access', ['path', 'accessMode'], (c) => [c.file, 0]),
    op('ftruncate', ['fd', 'truncLength'], (c) => [c.fd, 0]),
    op('chown', ['path', 'id', 'id'], (c) => [c.file, -1, -1]),
    op('lchown', ['path', 'id', 'id'], (c) => [c.file, -1, -1]),
    op('fchown', ['fd', 'id', 'id'], (c) => [c.fd, -1, -1]),
    op('utime', ['path', 'time', 'time'], (c) => [c.file, 1, 2]),
    op('lutime', ['path', 'time', 'time'], (c) => [c.file, 1, 2]),
    op('futime', ['fd', 'time', 'time'], (c) => [c.fd, 1, 2]),
    op('rename', ['path', 'path'], (c) => [c.file, path.join(c.dir, 'renamed')]),
    op('link', ['path', 'path'], (c) => [c.file, path.join(c.dir, 'linked')]),
    op('symlink', ['path', 'path', 'symlinkType'], (c) => [c.file, path.join(c.dir, 'symlinked'), 'file']),
    op('copyfile', ['path', 'path', 'copyMode'], (c) => [c.file, path.join(c.dir, 'copied'), 0]),
    op('sendfile', ['fd', 'fd', 'size', 'size'], (c) => [c.fd, c.fd, 0, 1]),
  ];

  it('the table covers every function of fs (each async function has its Sync twin)', () => {
    const fns = Object.keys(fs).filter((k) => typeof (fs as Record<string, unknown>)[k] === 'function' && /^[a-z]/.test(k) && !k.endsWith('Sync'));
    expect([...new Set(ops.map((o) => o.fn))].sort()).toEqual(fns.sort());
    for (const name of fns) expect(typeof (fs as Record<string, unknown>)[`${name}Sync`]).toBe('function');
  });

  let ctx: Ctx | undefined;
  function setup(): Ctx {
    const dir = mkdtempSync(path.join(tmpdir(), 'uvkit-bad-fs-'));
    const file = path.join(dir, 'file');
    writeFileSync(file, 'content');
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    ctx = { dir, file, sub, fd: openSync(file, 'r+') };
    return ctx;
  }
  afterEach(() => {
    if (ctx === undefined) return;
    closeSync(ctx.fd);
    rmSync(ctx.dir, { recursive: true, force: true });
    ctx = undefined;
  });

  /** What a call must not change: the directory's entries (mode, size, times), the file's content, the fd's offset. */
  function snapshot(c: Ctx): string {
    const entries = readdirSync(c.dir)
      .sort()
      .map((name) => {
        const st = lstatSync(path.join(c.dir, name));
        return `${name}:${st.mode}:${st.size}:${st.mtimeMs}:${st.uid}:${st.gid}`;
      });
    return JSON.stringify([entries, readFileSync(c.file, 'latin1'), fstatSync(c.fd).size]);
  }

  const FORMS = ['callback', 'promise', 'sync'] as const;

  /** Calls fs[fn] in `form`; the value it threw, or NO_THROW (a returned promise is silenced: it must not exist). */
  function callIn(form: (typeof FORMS)[number], fn: string, args: unknown[]): unknown {
    const name = form === 'sync' ? `${fn}Sync` : fn;
    const f = (fs as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
    return capture(() => {
      const result = f(...args, ...(form === 'callback' ? [noop] : []));
      if (result instanceof Promise) result.catch(noop);
    });
  }

  function expectRejected(c: Ctx, form: (typeof FORMS)[number], fsOp: FsOp, args: unknown[], code: string, what: string): void {
    const before = snapshot(c);
    const error = callIn(form, fsOp.fn, args);
    expect(error, `${what} did not throw`).not.toBe(NO_THROW);
    expect(errorCode(error), `${what}: ${inspect(error)}`).toBe(code);
    // ours are exactly TypeError / RangeError; Node's own (fileURLToPath's) are subclasses of TypeError
    if (code === R) expect(className(error), what).toBe('RangeError');
    else if (code === T || code === V) expect(className(error), what).toBe('TypeError');
    else expect(error, what).toBeInstanceOf(TypeError);
    expect(binding.debugCounts().fsRequests, `${what} started a request`).toBe(0);
    expect(snapshot(c), `${what} changed something`).toBe(before);
  }

  for (const fsOp of ops) {
    fsOp.kinds.forEach((kind, index) => {
      const values = badValues(kind);
      if (values.length === 0) return;
      it(`${fsOp.name}: bad argument ${index} (${kind}) throws ${[...new Set(values.map(([, c]) => c))].join(' / ')} in every form, with no side effect`, async () => {
        const c = setup();
        for (const [value, code] of values) {
          for (const form of FORMS) {
            const args = fsOp.args(c);
            args[index] = value;
            expectRejected(c, form, fsOp, args, code, `fs.${fsOp.fn}${form === 'sync' ? 'Sync' : ''}(${args.map(label).join(', ')})${form === 'callback' ? ' with a callback' : ''}`);
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
        expect(binding.debugCounts().fsRequests).toBe(0);
        expect(readdirSync(c.dir).sort()).toEqual(['file', 'sub']);
      });
    });

    it(`${fsOp.name}: bad options, options.loop, options.signal and callback throw ERR_INVALID_ARG_TYPE (a closed loop ERR_LOOP_CLOSED), with no side effect`, () => {
      const c = setup();
      const closed = new Loop();
      closed.close();
      const raw = new binding.Loop(false);
      try {
        const fakeLoop = Object.create(Loop.prototype) as unknown;
        const badOptions = [5, 'x', true, 1n, Symbol('o'), [], noop];
        const cases2: Array<[unknown[], string, string]> = [];
        // a function in the options position is the callback: only non-functions are bad options here
        for (const options of badOptions.filter((o) => typeof o !== 'function')) {
          // (a string in a positional slot is read as that argument; after all of them it is options,
          // where the ops that return names take it as their encoding, as Node's do)
          const code = typeof options === 'string' && OPS_WITH_NAMES.has(fsOp.fn) ? 'ERR_INVALID_ARG_VALUE' : T;
          cases2.push([[...fsOp.args(c), options], code, `options ${label(options)}`]);
        }
        for (const loop of [{}, 5, 'x', null, raw, fakeLoop, Loop]) cases2.push([[...fsOp.args(c), { loop }], T, `loop ${label(loop)}`]);
        cases2.push([[...fsOp.args(c), { loop: closed }], 'ERR_LOOP_CLOSED', 'a closed loop']);
        for (const signal of [{}, 'x', 5, null, { aborted: true }, new EventTarget()]) cases2.push([[...fsOp.args(c), { signal }], T, `signal ${label(signal)}`]);
        for (const [args, code, what] of cases2) {
          for (const form of ['callback', 'promise'] as const) {
            const before = snapshot(c);
            const error = callIn(form, fsOp.fn, args);
            const label2 = `fs.${fsOp.fn}(${fsOp.name}) ${form} with ${what}`;
            expect(error, `${label2} did not throw`).not.toBe(NO_THROW);
            expect(errorCode(error), `${label2}: ${inspect(error)}`).toBe(code);
            expect(binding.debugCounts().fsRequests, label2).toBe(0);
            expect(snapshot(c), label2).toBe(before);
          }
        }
        for (const cb of [5, 'x', {}, null, Symbol('cb')]) {
          const before = snapshot(c);
          const error = capture(() => (fs as unknown as Record<string, (...a: unknown[]) => unknown>)[fsOp.fn]!(...fsOp.args(c), {}, cb));
          expect(errorCode(error), `callback ${label(cb)}: ${inspect(error)}`).toBe(T);
          expect(binding.debugCounts().fsRequests).toBe(0);
          expect(snapshot(c)).toBe(before);
        }
      } finally {
        raw.close();
      }
    });
  }

  it('opendir: bad bufferSize throws (ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE) in every form', () => {
    const c = setup();
    const bad: Bad = [
      ...[0, -1, 4097, 1.5, NaN, Infinity].map((v): [unknown, string] => [v, R]),
      ...['1', true, 1n, {}].map((v): [unknown, string] => [v, T]),
    ];
    for (const [bufferSize, code] of bad) {
      for (const call of [() => fs.opendir(c.dir, { bufferSize } as fs.OpendirOptions, noop), () => fs.opendir(c.dir, { bufferSize } as fs.OpendirOptions), () => fs.opendirSync(c.dir, { bufferSize } as fs.OpendirOptions)]) {
        const error = capture(call);
        expect(errorCode(error), `bufferSize ${label(bufferSize)}: ${inspect(error)}`).toBe(code);
        expect(binding.debugCounts().fsRequests).toBe(0);
      }
    }
    for (const options of [5, 'x', true, []]) {
      expect(errorCode(capture(() => invoke(fs, 'opendirSync', c.dir, options)))).toBe(T);
    }
  });

  it('Dir: read / close with a non-function callback throw ERR_INVALID_ARG_TYPE and leave the Dir usable', async () => {
    const c = setup();
    const d = fs.opendirSync(c.dir);
    for (const cb of [5, 'x', {}, null, Symbol('d')]) {
      expectError(() => invoke(d, 'read', cb), TypeError, T);
      expectError(() => invoke(d, 'close', cb), TypeError, T);
    }
    expect(d.readSync()).not.toBeNull();
    await d.close();
    expectError(() => d.readSync(), Error, 'ERR_DIR_CLOSED');
  });

  it('fast-check: read-only fs functions with arbitrary arguments return, or throw a coded error / UVError, in every form', async () => {
    const c = setup();
    const safe = ['stat', 'lstat', 'statfs', 'readlink', 'realpath', 'scandir', 'access', 'opendir'];
    const anyArb = fc.oneof(
      fc.anything({ maxDepth: 1, withBigInt: true, withBoxedValues: true, withNullPrototype: true, withTypedArray: true }),
      fc.constantFrom(c.dir, c.file, Buffer.from(c.dir), pathToFileURL(c.file), 'a\u0000', 0, -1, 7, NaN, { loop: Loop.default() }, noop),
    );
    const pending: Array<Promise<unknown>> = [];
    const opened: Array<{ close(): unknown }> = [];
    fc.assert(
      fc.property(fc.constantFrom(...safe), fc.constantFrom(...FORMS), fc.array(anyArb, { maxLength: 4 }), (name, form, args) => {
        const f = (fs as unknown as Record<string, (...a: unknown[]) => unknown>)[form === 'sync' ? `${name}Sync` : name]!;
        let result: unknown;
        const outcome = capture(() => {
          result = f(...args, ...(form === 'callback' ? [(_e: unknown, v: unknown) => v instanceof fs.Dir && opened.push(v)] : []));
        });
        if (result instanceof Promise) pending.push(result.then((v) => v instanceof fs.Dir && opened.push(v), noop));
        if (result instanceof fs.Dir) opened.push(result);
        if (outcome === NO_THROW || outcome instanceof UVError) return;
        expect(outcome).toBeInstanceOf(Error);
        expect(String(errorCode(outcome)), `fs.${name}(${args.map(label).join(', ')}) threw ${inspect(outcome)}`).toMatch(/^ERR_[A-Z_]+$/);
      }),
      { numRuns: 1000 },
    );
    await Promise.all(pending);
    for (let i = 0; i < 200 && binding.debugCounts().fsRequests > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    for (const d of opened) await (d.close() as Promise<void>);
  });
});
