// The RAW binding (the addon without the TS layer) must re-check everything: DESIGN.md says the C++
// layer "re-checks state and arguments (the raw binding must never abort the process, whatever it
// is called with)". The .node file can be required directly, so this is a public surface too.
//
// - Deterministic checks run here: wrong receivers for every method and accessor of every class,
//   constructors with garbage, and the argument re-checks the TS layer normally does first.
// - The fast-check sweep (fc.anything() and a pool of interesting values in every argument
//   position, every receiver kind) runs in child processes, one per export (test/fixtures/
//   raw-sweep.mjs), because a crash would kill this worker. Each must exit 0 with its count.
// - Crash-prone scenarios found by reading the code run in their own child processes as well (the UDP
//   ones from test/fixtures/raw-udp-scenarios.mjs: buffers detached while receiving, close() inside
//   every callback with sends queued, in every receive mode, on a private loop and Node's loop).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { syncValues } from '../src/ts/fs_queue.js';
import { fs, Loop } from '../src/ts/index.js';
import { capture, errorCode, NO_THROW } from './helpers/assert.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = path.join(root, 'test/fixtures/raw-sweep.mjs');
const udpFixture = path.join(root, 'test/fixtures/raw-udp-scenarios.mjs');
const distBinding = pathToFileURL(path.join(root, 'dist/binding.js')).href;
const distErrors = pathToFileURL(path.join(root, 'dist/errors.js')).href;

function describeValue(value: unknown): string {
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return `[function ${value.name}]`;
  try {
    return inspect(value, { depth: 0, showProxy: true, breakLength: Infinity });
  } catch {
    return '<value>';
  }
}

/** A coded error: an Error with a non-empty string `code`. */
function isCodedError(value: unknown): boolean {
  return value instanceof Error && typeof errorCode(value) === 'string' && String(errorCode(value)).length > 0;
}

/**
 * V8's own checks, which run before any native code and cannot carry a `code`: a method called on
 * a receiver its class did not make ('Illegal invocation', V8's signature check), and a class
 * called without `new`. Clear TypeErrors, never a crash.
 */
function isEngineCheck(value: unknown): boolean {
  return (
    value instanceof TypeError &&
    (value.message === 'Illegal invocation' || value.message === "Class constructors cannot be invoked without 'new'")
  );
}

function counts(): { handles: number; uvHandles: number; loops: number; fsRequests: number; poolRequests: number } {
  return binding.debugCounts();
}

// The exports, seen generically (the typed interface lists only what the TS layer uses).
const raw = binding as unknown as Record<string, unknown>;
type AnyClass = new (...args: unknown[]) => object;
const classNames = Object.keys(raw).filter((k) => typeof raw[k] === 'function' && /^[A-Z]/.test(k));
const functionNames = Object.keys(raw).filter((k) => typeof raw[k] === 'function' && !/^[A-Z]/.test(k));
const handleClassNames = classNames.filter((k) => k !== 'Loop');
const namespaceNames = Object.keys(raw).filter(
  (k) => raw[k] !== null && typeof raw[k] === 'object' && Object.values(raw[k] as object).some((v) => typeof v === 'function'),
);

function cls(name: string): AnyClass {
  const value = raw[name];
  if (typeof value !== 'function') throw new Error(`binding.${name} is not a class`);
  return value as AnyClass;
}

interface Member {
  className: string;
  key: string;
  kind: 'method' | 'get' | 'set';
  fn: (...args: unknown[]) => unknown;
}

function membersOf(name: string): Member[] {
  const proto = cls(name).prototype as object;
  const members: Member[] = [];
  for (const key of Reflect.ownKeys(proto)) {
    if (key === 'constructor' || typeof key === 'symbol') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (d === undefined) continue;
    if (typeof d.value === 'function') members.push({ className: name, key, kind: 'method', fn: d.value as Member['fn'] });
    if (d.get) members.push({ className: name, key, kind: 'get', fn: d.get as Member['fn'] });
    if (d.set) members.push({ className: name, key, kind: 'set', fn: d.set as Member['fn'] });
  }
  return members;
}

// A Poll watches (a duplicate of) a pseudo-terminal master this file keeps open, one Poll per loop.
let pollFd = -1;
afterAll(() => {
  if (pollFd >= 0) closeSync(pollFd);
});

/**
 * A live instance of a handle class. TTY needs a terminal; Process spawns in its constructor (a
 * /bin/true child: when the loop closes before its exit is reported, nothing reaps it until this
 * worker exits, as with libuv); Poll needs an fd it can watch.
 */
function construct(name: string, loop: object): object {
  if (name === 'TTY') return new (cls(name))(loop, openSync('/dev/ptmx', 'r+'));
  if (name === 'Process') return new (cls(name))(loop, '/bin/true', ['true'], undefined, undefined, [], [], -1, -1, 0);
  if (name === 'Poll') return new (cls(name))(loop, pollFd >= 0 ? pollFd : (pollFd = openSync('/dev/ptmx', 'r+')));
  return new (cls(name))(loop);
}

/** One live instance of each class, on a private raw loop; close() closes them all. */
function rawWorld(): { instances: Map<string, object>; loop: object; close: () => void } {
  const LoopClass = cls('Loop');
  const loop = new LoopClass(false);
  const instances = new Map<string, object>([['Loop', loop]]);
  for (const name of handleClassNames) instances.set(name, construct(name, loop));
  return {
    instances,
    loop,
    close: () => {
      (Reflect.get(loop, 'close') as () => void).call(loop);
    },
  };
}

function wrongReceivers(name: string, instances: Map<string, object>): Array<[string, unknown]> {
  const list: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['5', 5],
    ["'x'", 'x'],
    ['Symbol()', Symbol('this')],
    ['1n', 1n],
    ['{}', {}],
    ['[]', []],
    ['a function', () => {}],
    [`${name}.prototype`, cls(name).prototype],
    [`Object.create(${name}.prototype)`, Object.create(cls(name).prototype as object)],
    ['a Proxy that throws', new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } })],
  ];
  for (const [other, instance] of instances) if (other !== name) list.push([`a ${other}`, instance]);
  return list;
}

// ---------------------------------------------------------------------------------------------

describe('raw binding: exports', () => {
  it('has the classes and functions the TS layer is built on', () => {
    for (const name of ['Loop', 'Timer', 'Prepare', 'Check', 'Idle', 'Async', 'Signal', 'TCP', 'Pipe', 'TTY', 'UDP', 'Process', 'Poll', 'FSEvent', 'FSPoll']) {
      expect(classNames).toContain(name);
    }
    for (const name of ['init', 'debugCounts', 'asyncSend', 'errname', 'strerror']) expect(functionNames).toContain(name);
    for (const name of ['features', 'codes', 'constants']) expect(typeof raw[name]).toBe('object');
  });
});

describe('raw binding: accessors', () => {
  it('are accessor properties on the prototypes, read-only where the API says so', () => {
    const shape = (cls: unknown, key: string) => {
      const d = Object.getOwnPropertyDescriptor((cls as { prototype: object }).prototype, key);
      return d === undefined ? 'missing' : `${typeof d.get}/${typeof d.set}/${d.enumerable}/${d.configurable}`;
    };
    expect(shape(raw.Timer, 'repeat')).toBe('function/function/false/true');
    expect(shape(raw.Timer, 'dueIn')).toBe('function/undefined/false/true');
    expect(shape(raw.Timer, 'active')).toBe('function/undefined/false/true');
    expect(shape(raw.Loop, 'onError')).toBe('function/function/false/true');
    expect(shape(raw.Loop, 'alive')).toBe('function/undefined/false/true');
    expect(shape(raw.Signal, 'signum')).toBe('function/undefined/false/true');
    expect(shape(raw.UDP, 'sendBufferSize')).toBe('function/function/false/true');
    expect(shape(raw.UDP, 'recvBufferSize')).toBe('function/function/false/true');
    expect(shape(raw.UDP, 'sendQueueSize')).toBe('function/undefined/false/true');
    expect(shape(raw.UDP, 'sendQueueCount')).toBe('function/undefined/false/true');
    expect(shape(raw.UDP, 'recvmmsg')).toBe('function/undefined/false/true');
    expect(shape(raw.FSEvent, 'path')).toBe('function/undefined/false/true');
    expect(shape(raw.FSPoll, 'path')).toBe('function/undefined/false/true');
  });
});

describe('raw binding: wrong `this`', () => {
  for (const name of classNames) {
    it(`${name}: every getter and setter rejects a foreign receiver (V8's receiver check, as for methods)`, () => {
      const world = rawWorld();
      try {
        const failures: string[] = [];
        for (const member of membersOf(name).filter((m) => m.kind !== 'method')) {
          for (const [what, receiver] of wrongReceivers(name, world.instances)) {
            const error = capture(() => (member.kind === 'get' ? member.fn.call(receiver) : member.fn.call(receiver, 1)));
            if (!isEngineCheck(error)) {
              failures.push(`${member.kind} ${name}.${member.key} on ${what}: ${error === NO_THROW ? 'no throw' : describeValue(error)}`);
            }
          }
        }
        expect(failures).toEqual([]);
      } finally {
        world.close();
      }
    });

    it(`${name}: every getter works on its own instance`, () => {
      const world = rawWorld();
      try {
        const self = world.instances.get(name);
        const failures: string[] = [];
        for (const member of membersOf(name).filter((m) => m.kind === 'get')) {
          const error = capture(() => member.fn.call(self));
          if (error !== NO_THROW && !isCodedError(error)) failures.push(`${name}.${member.key}: ${describeValue(error)}`);
        }
        expect(failures).toEqual([]);
        expect(Reflect.get(self as object, 'closed')).toBe(false);
      } finally {
        world.close();
      }
    });

    it(`${name}: every method called on a foreign receiver throws a coded error or V8's receiver check`, () => {
      const world = rawWorld();
      try {
        const failures: string[] = [];
        for (const member of membersOf(name).filter((m) => m.kind === 'method')) {
          for (const [what, receiver] of wrongReceivers(name, world.instances)) {
            const error = capture(() => member.fn.call(receiver));
            if (!isCodedError(error) && !isEngineCheck(error)) {
              failures.push(`${name}.prototype.${member.key}.call(${what}): ${error === NO_THROW ? 'no throw' : describeValue(error)}`);
            }
          }
        }
        expect(failures, `${failures.length} call(s) without a coded error, e.g.\n${failures.slice(0, 5).join('\n')}`).toEqual([]);
      } finally {
        world.close();
      }
    });
  }
});

describe('raw binding: constructors', () => {
  it("every class called without `new` throws a coded error or V8's constructor check", () => {
    const failures: string[] = [];
    for (const name of classNames) {
      for (const args of [[], [false], [{}]]) {
        const error = capture(() => Reflect.apply(cls(name), undefined, args) as unknown);
        if (!isCodedError(error) && !isEngineCheck(error)) failures.push(`${name}(${args.map(describeValue).join(', ')}): ${describeValue(error)}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it.each(handleClassNames)('new binding.%s(garbage) throws TypeError ERR_INVALID_ARG_TYPE and creates nothing', (name) => {
    const garbage: unknown[] = [undefined, null, true, 0, 'loop', 1n, Symbol('l'), {}, [], () => {}, Object.create(cls('Loop').prototype as object), Object.create(Loop.default())];
    for (const name2 of handleClassNames) garbage.push(cls(name2).prototype);
    for (const value of garbage) {
      const before = counts();
      const error = capture(() => new (cls(name))(value));
      expect(error, `new ${name}(${describeValue(value)})`).toBeInstanceOf(TypeError);
      expect(errorCode(error), `new ${name}(${describeValue(value)})`).toBe('ERR_INVALID_ARG_TYPE');
      expect(counts()).toEqual(before);
    }
  });

  it.each(handleClassNames)('new binding.%s(handle of another class) throws ERR_INVALID_ARG_TYPE', (name) => {
    const world = rawWorld();
    try {
      for (const [other, instance] of world.instances) {
        if (other === 'Loop') continue;
        const before = counts();
        const error = capture(() => new (cls(name))(instance));
        expect(errorCode(error), `new ${name}(<${other}>)`).toBe('ERR_INVALID_ARG_TYPE');
        expect(counts()).toEqual(before);
      }
    } finally {
      world.close();
    }
  });

  it.each(handleClassNames)('new binding.%s(closed raw loop) throws Error ERR_LOOP_CLOSED and creates nothing', (name) => {
    const loop = new (cls('Loop'))(false);
    (Reflect.get(loop, 'close') as () => void).call(loop);
    const before = counts();
    const error = capture(() => new (cls(name))(loop));
    expect(error).toBeInstanceOf(Error);
    expect(errorCode(error)).toBe('ERR_LOOP_CLOSED');
    expect(counts()).toEqual(before);
  });

  it.each([[undefined], ['x'], [{}], [1], [false], [null]])('new binding.Loop(%s) makes a private loop', (value) => {
    const before = counts().loops;
    const loop = new (cls('Loop'))(value);
    try {
      expect(Reflect.get(loop, 'isDefault')).toBe(false);
      expect(Reflect.get(loop, 'closed')).toBe(false);
      expect(counts().loops).toBe(before + 1);
    } finally {
      (Reflect.get(loop, 'close') as () => void).call(loop);
    }
    expect(counts().loops).toBe(before);
  });

  it('new binding.Loop(true) once Node’s loop is wrapped throws Error ERR_INVALID_STATE and creates nothing', () => {
    Loop.default();
    const before = counts();
    const error = capture(() => new (cls('Loop'))(true));
    expect(error).toBeInstanceOf(Error);
    expect(errorCode(error)).toBe('ERR_INVALID_STATE');
    expect(counts()).toEqual(before);
  });

  it('Reflect.construct with a foreign new.target gives an object that is still checked', () => {
    const loop = new (cls('Loop'))(false);
    try {
      const odd = Reflect.construct(cls('Timer'), [loop], cls('Loop')) as object;
      // Loop's methods on a Timer made with Loop.prototype: a coded error (or V8's check), no crash
      const failures: string[] = [];
      for (const member of membersOf('Loop')) {
        const error = capture(() => (member.kind === 'set' ? member.fn.call(odd, null) : member.fn.call(odd)));
        if (!isCodedError(error) && !isEngineCheck(error)) failures.push(`${member.kind} Loop.${member.key}: ${describeValue(error)}`);
      }
      const close = Object.getOwnPropertyDescriptor(cls('Timer').prototype as object, 'close')?.value as (this: object) => unknown;
      close.call(odd);
      expect(failures, failures.join('\n')).toEqual([]);
    } finally {
      (Reflect.get(loop, 'close') as () => void).call(loop);
    }
  });
});

describe('raw binding: arguments are re-checked natively', () => {
  function withRawLoop(fn: (loop: Record<string, unknown> & object) => void): void {
    const loop = new (cls('Loop'))(false) as Record<string, unknown> & object;
    try {
      fn(loop);
    } finally {
      (loop.close as () => void).call(loop);
    }
  }

  const call = (target: object, key: string, ...args: unknown[]): unknown => (Reflect.get(target, key) as (...a: unknown[]) => unknown).apply(target, args);

  it.each([3, -1, 1.5, NaN, Infinity, 2 ** 53])('loop.run(%s) throws RangeError ERR_OUT_OF_RANGE', (mode) => {
    withRawLoop((loop) => {
      const error = capture(() => call(loop, 'run', mode));
      expect(error).toBeInstanceOf(RangeError);
      expect(errorCode(error)).toBe('ERR_OUT_OF_RANGE');
    });
  });

  it.each(['once', null, true, {}, 1n, Symbol('m')])('loop.run(%s) throws TypeError ERR_INVALID_ARG_TYPE', (mode) => {
    withRawLoop((loop) => {
      const error = capture(() => call(loop, 'run', mode));
      expect(error).toBeInstanceOf(TypeError);
      expect(errorCode(error)).toBe('ERR_INVALID_ARG_TYPE');
    });
  });

  it.each([5, 'x', true, {}, 1n])('loop.onError = %s throws TypeError ERR_INVALID_ARG_TYPE', (value) => {
    withRawLoop((loop) => {
      const error = capture(() => Reflect.set(loop, 'onError', value));
      expect(error).toBeInstanceOf(TypeError);
      expect(errorCode(error)).toBe('ERR_INVALID_ARG_TYPE');
    });
  });

  it('timer.repeat = bad value is rejected natively (type, then range)', () => {
    withRawLoop((loop) => {
      const timer = new (cls('Timer'))(loop);
      for (const value of ['5', undefined, null, 1n, {}]) {
        const error = capture(() => Reflect.set(timer, 'repeat', value));
        expect(errorCode(error), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
      }
      for (const value of [-1, NaN, Infinity, 2 ** 53]) {
        const error = capture(() => Reflect.set(timer, 'repeat', value));
        expect(errorCode(error), describeValue(value)).toBe('ERR_OUT_OF_RANGE');
      }
      expect(Reflect.get(timer, 'repeat')).toBe(0);
    });
  });

  it('asyncSend(id) re-checks the id', () => {
    for (const value of ['1', undefined, null, {}, 1n]) {
      const error = capture(() => Reflect.apply(binding.asyncSend, undefined, [value]) as unknown);
      expect(error, describeValue(value)).toBeInstanceOf(TypeError);
      expect(errorCode(error), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
    }
    for (const value of [0, -1, 1.5, NaN, 2 ** 53]) {
      const error = capture(() => binding.asyncSend(value));
      expect(error, describeValue(value)).toBeInstanceOf(RangeError);
      expect(errorCode(error), describeValue(value)).toBe('ERR_OUT_OF_RANGE');
    }
    expect(binding.asyncSend(2 ** 53 - 1)).toBe(false);
  });

  it('new Poll(loop, fd) and poll.start(events) re-check the fd and the mask', () => {
    withRawLoop((loop) => {
      for (const value of [undefined, '3', null, {}, 1n]) {
        expect(errorCode(capture(() => new (cls('Poll'))(loop, value))), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
      }
      for (const value of [-1, 1.5, NaN, 2 ** 31]) {
        expect(errorCode(capture(() => new (cls('Poll'))(loop, value))), describeValue(value)).toBe('ERR_OUT_OF_RANGE');
      }
      const fd = openSync('/dev/ptmx', 'r+');
      try {
        const poll = new (cls('Poll'))(loop, fd);
        expect(errorCode(capture(() => new (cls('Poll'))(loop, fd)))).toBe('EEXIST');
        for (const value of [0, 16, -1, 1.5]) expect(errorCode(capture(() => call(poll, 'start', value))), describeValue(value)).toBe('ERR_OUT_OF_RANGE');
        for (const value of [undefined, '1', null]) expect(errorCode(capture(() => call(poll, 'start', value))), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
        expect(Reflect.get(poll, 'active')).toBe(false);
        expect(call(poll, 'fileno')).toBe(fd);
        call(poll, 'close');
      } finally {
        closeSync(fd);
      }
    });
  });

  it('FSEvent and FSPoll start() re-check the path (string, no NUL), recursive and the interval', () => {
    withRawLoop((loop) => {
      const fsEvent = new (cls('FSEvent'))(loop);
      const fsPoll = new (cls('FSPoll'))(loop);
      for (const handle of [fsEvent, fsPoll]) {
        for (const value of [undefined, 5, null, {}, Buffer.from('/tmp')]) {
          expect(errorCode(capture(() => call(handle, 'start', value, 10))), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
        }
        expect(errorCode(capture(() => call(handle, 'start', 'a\0b', 10)))).toBe('ERR_INVALID_ARG_VALUE');
      }
      expect(errorCode(capture(() => call(fsEvent, 'start', scratch, 1)))).toBe('ERR_INVALID_ARG_TYPE'); // recursive: a boolean
      for (const value of [-1, NaN, Infinity, 2 ** 32]) {
        expect(errorCode(capture(() => call(fsPoll, 'start', scratch, value))), describeValue(value)).toBe('ERR_OUT_OF_RANGE');
      }
      for (const value of [undefined, '10', null]) {
        expect(errorCode(capture(() => call(fsPoll, 'start', scratch, value))), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
      }
      expect(Reflect.get(fsEvent, 'active')).toBe(false);
      expect(Reflect.get(fsPoll, 'active')).toBe(false);
      expect(Reflect.get(fsEvent, 'path')).toBeNull();
      expect(Reflect.get(fsPoll, 'path')).toBeNull();
    });
  });

  it('init(options) re-checks its options object', () => {
    for (const value of [undefined, null, 5, 'x', {}, { UVError: 5 }, { UVError: {} }]) {
      const error = capture(() => Reflect.apply(binding.init, undefined, [value]) as unknown);
      expect(error, describeValue(value)).toBeInstanceOf(TypeError);
      expect(errorCode(error), describeValue(value)).toBe('ERR_INVALID_ARG_TYPE');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Child processes

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// Children run in a scratch directory: the sweep's Pipe.bind() with random names creates socket
// files relative to the working directory.
const scratch = mkdtempSync(path.join(tmpdir(), 'uvkit-raw-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runNode(args: string[], env: NodeJS.ProcessEnv = {}): ChildResult {
  const child = spawnSync(process.execPath, args, {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 90_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: child.status, signal: child.signal, stdout: child.stdout ?? '', stderr: child.stderr ?? '' };
}

function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The sanitizer build of the addon, when it exists and is newer than the sources. */
function asanEnv({ leaks = false } = {}): NodeJS.ProcessEnv | undefined {
  if (process.env.LD_PRELOAD?.includes('asan')) return {}; // already running under npm run test:asan
  const addon = path.join(root, 'build-cmake/asan/Debug/uvkit.node');
  if (!existsSync(addon)) return undefined;
  const sources = path.join(root, 'src/native');
  const newest = Math.max(...readdirSync(sources).map((f) => statSync(path.join(sources, f)).mtimeMs));
  if (statSync(addon).mtimeMs < newest) {
    console.warn('raw-binding.test: build-cmake/asan is older than src/native; sanitizer checks run without ASan (npm run test:asan rebuilds it)');
    return undefined;
  }
  const runtime = spawnSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!runtime.startsWith('/') || !existsSync(runtime)) return undefined;
  return {
    UVKIT_BINDING: addon,
    LD_PRELOAD: runtime,
    ASAN_OPTIONS: `detect_leaks=${leaks ? 1 : 0}:abort_on_error=0:exitcode=23:detect_odr_violation=0`,
    LSAN_OPTIONS: `suppressions=${path.join(root, 'test/lsan.supp')}:print_suppressions=0`,
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  };
}

const sanitizerReport = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: \w+Sanitizer/;

describe('raw binding: crash-prone scenarios (child processes)', () => {
  it('init() with an options object whose UVError getter throws: throws, never aborts', () => {
    const script = `
      import { binding } from ${JSON.stringify(distBinding)};
      const inputs = [
        { get UVError() { throw new Error('getter'); } },
        new Proxy({}, { get() { throw new Error('trap'); } }),
      ];
      for (const input of inputs) {
        try { binding.init(input); console.log('returned'); }
        catch (error) { console.log('threw', error instanceof Error ? error.message : String(error)); }
      }
    `;
    const child = runNode(['--input-type=module', '-e', script]);
    const head = child.stderr.split('\n').slice(0, 3).join('\n');
    expect(child.signal, `signal; stderr:\n${head}\n...\n${tail(child.stderr, 3)}`).toBeNull();
    expect(child.status, `exit status; stderr:\n${tail(child.stderr)}`).toBe(0);
    expect(child.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^threw /), expect.stringMatching(/^threw /)]);
  });

  it('a handle whose raw loop was garbage-collected stays safe to use (ASan-checked when the sanitizer build exists)', () => {
    const script = `
      import { binding } from ${JSON.stringify(distBinding)};
      import ${JSON.stringify(distErrors)};
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      let loop = new binding.Loop(false);
      const handles = [new binding.Timer(loop), new binding.Idle(loop), new binding.Async(loop), new binding.Signal(loop)];
      loop = null;
      for (let i = 0; i < 6; i++) { globalThis.gc(); await turn(); }
      const outcomes = [];
      for (const h of handles) {
        for (const key of ['closed', 'active', 'closing']) {
          try { outcomes.push(key + '=' + h[key]); } catch (e) { outcomes.push(key + ':' + (e && e.code)); }
        }
        for (const key of ['ref', 'unref', 'hasRef', 'stop', 'close']) {
          if (typeof h[key] !== 'function') continue;
          try { h[key](); outcomes.push(key + ' ok'); } catch (e) { outcomes.push(key + ':' + (e && e.code)); }
        }
      }
      const uncoded = outcomes.filter((o) => o.endsWith(':undefined'));
      console.log(JSON.stringify({ uncoded, outcomes }));
    `;
    const env = asanEnv() ?? {};
    const child = runNode(['--expose-gc', '--input-type=module', '-e', script], env);
    const sanitizer = sanitizerReport.exec(child.stderr);
    expect(sanitizer, `sanitizer report:\n${child.stderr.slice(0, 3000)}`).toBeNull();
    expect(child.signal, `signal; stderr:\n${tail(child.stderr)}`).toBeNull();
    expect(child.status, `exit status; stderr:\n${tail(child.stderr)}`).toBe(0);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { uncoded?: string[] };
    expect(result.uncoded).toEqual([]);
  });
});

// UDP paths the sweep reaches only by chance, run on purpose (test/fixtures/raw-udp-scenarios.mjs): in
// every receive mode, on a private loop and on Node's loop.
describe('raw binding: UDP scenarios (child processes, ASan-checked when the sanitizer build exists)', () => {
  type Outcomes = Record<'private' | 'node', Record<string, Record<string, unknown>>>;
  const ECANCELED = binding.codes.ECANCELED;

  function scenario(name: string): Outcomes {
    const child = runNode(['--expose-gc', udpFixture, name], asanEnv() ?? {});
    expect(sanitizerReport.exec(child.stderr), `sanitizer report:\n${child.stderr.slice(0, 3000)}`).toBeNull();
    expect(child.signal, tail(child.stderr)).toBeNull();
    expect(child.status, tail(child.stderr)).toBe(0);
    const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, child.stdout + child.stderr).toBeDefined();
    const result = JSON.parse((line ?? '').slice('RESULT '.length)) as Outcomes & { counts: unknown };
    expect(result.counts).toEqual({ handles: 0, uvHandles: 0, loops: 1, fsRequests: 0, poolRequests: 0 });
    return result;
  }

  it('the receive buffer transferred away (and collected) while receiving: later datagrams are empty and flagged partial, or ENOBUFS', () => {
    const result = scenario('detach-recv-buffer');
    for (const loop of ['private', 'node'] as const) {
      expect(Object.keys(result[loop]).sort()).toEqual(['startRecv+buffer', 'startRecv+mmsg+buffer', 'startRecvBatch+buffer', 'startRecvBatch+mmsg+buffer']);
      for (const [mode, outcome] of Object.entries(result[loop])) {
        expect(outcome.before, `${loop} ${mode}`).toEqual([[10, 0, 1], [11, 0, 2], [12, 0, 3]]);
        expect(outcome.afterOk, `${loop} ${mode}: ${JSON.stringify(outcome.after)}`).toBe(true);
      }
    }
  });

  it('the slab, the batch Int32Array and the receive buffer transferred from inside every callback: datagrams into the slab stay whole', () => {
    const result = scenario('detach-in-callback');
    for (const loop of ['private', 'node'] as const) {
      expect(Object.keys(result[loop])).toHaveLength(8);
      for (const [mode, outcome] of Object.entries(result[loop])) {
        const { received, whole, emptyPartial, errors } = outcome as { received: number; whole: number; emptyPartial: number; errors: number };
        const what = `${loop} ${mode}: ${JSON.stringify(outcome)}`;
        if (!mode.includes('+buffer')) {
          expect([received, whole, errors], what).toEqual([10, 10, 0]); // a fresh slab replaces a detached one
        } else if (mode === 'startRecv+buffer') {
          // Read straight into the caller's buffer: once it is detached there is nowhere to read to.
          expect([received, whole], what).toEqual([1, 1]);
          expect(errors, what).toBeGreaterThan(0);
        } else {
          expect(received, what).toBe(10);
          expect(whole, what).toBeGreaterThanOrEqual(1);
          expect(whole + emptyPartial, what).toBe(received);
        }
      }
    }
  });

  it('close() inside recv, recvBatch and send callbacks with sends queued: no receive callback after it, every send completed once (0 or ECANCELED), one close callback', () => {
    const result = scenario('close-in-callbacks');
    for (const loop of ['private', 'node'] as const) {
      expect(Object.keys(result[loop])).toHaveLength(16);
      for (const [what, outcome] of Object.entries(result[loop])) {
        const facts = outcome as { afterClose: number; closes: number; sendsOnce: boolean; sendStatuses: Record<string, number> };
        const label = `${loop} ${what}: ${JSON.stringify(outcome)}`;
        expect(facts.afterClose, label).toBe(0);
        expect(facts.closes, label).toBe(1);
        expect(facts.sendsOnce, label).toBe(true);
        for (const status of Object.keys(facts.sendStatuses)) expect([0, ECANCELED], label).toContain(Number(status));
      }
    }
  });

  it('stopRecv() inside a callback, receiving in batches later: a burst of 32 datagrams is delivered whole (none left for the next readiness event)', () => {
    const result = scenario('stop-in-callback-then-batch');
    for (const loop of ['private', 'node'] as const) expect(result[loop], loop).toEqual({ plain: 8, batched: 32 });
  });

  it('send() and trySend() of a detached Uint8Array (alone or in an array): an empty datagram, not a crash', () => {
    const result = scenario('send-detached');
    for (const loop of ['private', 'node'] as const) {
      expect(result[loop], loop).toEqual({ tried: [0, 3], statuses: [0, 0], received: [0, 0, 2, 3] });
    }
  });
});

describe('raw binding: leaks (LeakSanitizer, when the sanitizer build exists)', () => {
  // Each scenario ends normally; LSan's check at exit must find nothing allocated by uvkit.
  const scenarios: Array<[string, string]> = [
    [
      "reportError() on Node's loop",
      `process.on('uncaughtException', () => {});
       const loop = new binding.Loop(true);
       loop.reportError(new Error('reported'));
       loop.reportError(new Error('again'), null);`,
    ],
    [
      'reportError() on a private loop, then close()',
      `process.on('uncaughtException', () => {});
       const loop = new binding.Loop(false);
       loop.reportError(new Error('reported'));
       loop.close();`,
    ],
    [
      'handles and loops collected without close()',
      `for (let i = 0; i < 50; i++) {
         const loop = new binding.Loop(false);
         new binding.Timer(loop); new binding.Idle(loop); new binding.Async(loop); new binding.Signal(loop);
       }
       for (let i = 0; i < 6; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }`,
    ],
    [
      'UDP sockets on dropped private loops, receiving (plain and batched, slab and own buffer) with sends queued, closed by the teardown at exit',
      `binding.setCallback('send', () => {});
       binding.setCallback('recv', () => {});
       binding.setCallback('recvBatch', () => {});
       const keep = [];
       for (let i = 0; i < 20; i++) {
         const loop = new binding.Loop(false);
         const a = new binding.UDP(loop, 4, i % 2 === 0);
         a.bind('127.0.0.1', 0);
         const { port } = a.getsockname();
         if (i % 4 < 2) a.startRecvBatch(i % 3 === 0 ? new Uint8Array(100) : undefined);
         else a.startRecv(i % 3 === 0 ? new Uint8Array(100) : undefined);
         const b = new binding.UDP(loop, 0, false);
         for (let k = 0; k < 5; k++) { const data = new Uint8Array(k * 10); keep.push(data); b.send(data, '127.0.0.1', port); }
         loop.run(2);
         b.send(keep[keep.length - 1], '127.0.0.1', port); // queued, never run: cancelled by the loop's GC
         new binding.UDP(loop, 6, true); // never used
       }
       for (let i = 0; i < 6; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }`,
    ],
    [
      'Poll, FSEvent and FSPoll active on dropped private loops and (unreferenced) on Node’s loop, FSPoll stats in flight, closed by the teardown at exit',
      `const { openSync } = await import('node:fs');
       for (const name of ['poll', 'fsEvent', 'fsPoll']) binding.setCallback(name, () => {});
       const fd = openSync('/dev/ptmx', 'r+');
       for (let i = 0; i < 10; i++) {
         const loop = new binding.Loop(false);
         new binding.Poll(loop, fd).start(2);
         new binding.FSEvent(loop).start('.', false);
         new binding.FSPoll(loop).start('.', 1);
         const restarted = new binding.FSPoll(loop);
         restarted.start('.', 1);
         restarted.start('./missing', 1); // the first stat still in flight: a fresh uv handle
         if (i % 2 === 0) loop.run(2);
       }
       const node = new binding.Loop(true);
       const q = new binding.Poll(node, fd); q.start(1); q.unref();
       const p = new binding.FSPoll(node); p.start('.', 1); p.unref();
       const e = new binding.FSEvent(node); e.start('.', false); e.unref();
       for (let i = 0; i < 6; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }`,
    ],
  ];

  it.each(scenarios)('%s', (_name, body) => {
    const script = `import { binding } from ${JSON.stringify(distBinding)};\nimport ${JSON.stringify(distErrors)};\n${body}`;
    const child = runNode(['--expose-gc', '--input-type=module', '-e', script], asanEnv({ leaks: true }) ?? {});
    expect(sanitizerReport.exec(child.stderr), `sanitizer report:\n${child.stderr.slice(0, 3000)}`).toBeNull();
    expect(child.signal, tail(child.stderr)).toBeNull();
    expect(child.status, tail(child.stderr)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The fast-check sweep, one child per export

interface SweepSummary {
  group: string;
  seed: number;
  calls: number;
  ok: number;
  coded: number;
  skipped: number;
  uncodedCalls: number;
  codes: Record<string, number>;
  uncoded: Record<string, { count: number; example: string }>;
  uncaught: { coded: number; reported: number; uncoded: string[] };
  callbackCalls: number;
  discovered: { classes: string[]; functions: string[]; namespaces: string[] };
  finalCounts: { handles: number; uvHandles: number; loops: number; fsRequests: number; poolRequests: number } | null;
}

interface SweepRun extends ChildResult {
  summary: SweepSummary | undefined;
}

const SWEEP_CALLS = 3000;
const sweeps = new Map<string, SweepRun>();

function sweep(group: string): SweepRun {
  let run = sweeps.get(group);
  if (run === undefined) {
    const child = runNode(['--expose-gc', fixture, group], { SWEEP_CALLS: String(SWEEP_CALLS), SWEEP_TRACE: '1' });
    const line = child.stdout.split('\n').find((l) => l.startsWith('SWEEP-SUMMARY '));
    const summary = line === undefined ? undefined : (JSON.parse(line.slice('SWEEP-SUMMARY '.length)) as SweepSummary);
    run = { ...child, summary };
    sweeps.set(group, run);
  }
  return run;
}

function context(run: SweepRun): string {
  const trace = run.stderr.split('\n').filter((l) => l.startsWith('call '));
  const seed = run.summary?.seed ?? /^sweep seed (\d+)$/m.exec(run.stderr)?.[1] ?? '?'; // killed: no summary
  const report = sanitizerReport.exec(run.stderr);
  const sanitizer = report === null ? [] : [`sanitizer report:\n${run.stderr.slice(report.index).split('\n').slice(0, 12).join('\n')}`];
  return [
    ...sanitizer,
    `seed ${seed} (rerun: SWEEP_SEED=<seed> SWEEP_TRACE=1 node --expose-gc test/fixtures/raw-sweep.mjs <group>)`,
    `last call before exit: ${trace.at(-1) ?? '(none traced)'}`,
    `stderr tail:\n${tail(run.stderr.split('\n').filter((l) => !l.startsWith('call ')).join('\n'), 20)}`,
  ].join('\n');
}

describe('raw binding: fast-check sweep in child processes', () => {
  it('the sweep covers every function and class the binding exports', () => {
    const run = sweep('debugCounts');
    expect(run.summary, context(run)).toBeDefined();
    expect([...(run.summary?.discovered.classes ?? [])].sort()).toEqual([...classNames].sort());
    expect([...(run.summary?.discovered.functions ?? [])].sort()).toEqual([...functionNames].sort());
    expect([...(run.summary?.discovered.namespaces ?? [])].sort()).toEqual([...namespaceNames].sort());
    expect(namespaceNames).toContain('util');
  });

  for (const group of [...functionNames, ...classNames, ...namespaceNames]) {
    it(`${group}: ${SWEEP_CALLS} calls, no crash, clean exit with everything closed`, () => {
      const run = sweep(group);
      expect(run.signal, `killed by a signal\n${context(run)}`).toBeNull();
      expect(run.status, `exit status\n${context(run)}`).toBe(0);
      const summary = run.summary;
      expect(summary, `no summary printed\n${context(run)}`).toBeDefined();
      if (summary === undefined) return;
      expect(summary.calls + summary.skipped).toBe(SWEEP_CALLS);
      expect(summary.calls).toBeGreaterThan(SWEEP_CALLS * 0.9);
      expect(summary.ok + summary.coded + summary.uncodedCalls).toBe(summary.calls);
      expect(summary.finalCounts, 'debugCounts() after closing everything').toEqual({ handles: 0, uvHandles: 0, loops: 1, fsRequests: 0, poolRequests: 0 });
    });

    if (group === 'UDP') {
      it('UDP: the sweep reached libuv: datagrams received one by one and in batches, send callbacks ran', () => {
        const run = sweep(group);
        const events = (run.summary as (SweepSummary & { udpEvents?: Record<string, number> }) | undefined)?.udpEvents;
        expect(events, context(run)).toBeDefined();
        expect(events?.recv).toBeGreaterThan(0);
        expect(events?.recvBatch).toBeGreaterThan(0);
        expect(events?.datagrams).toBeGreaterThan(100);
        expect(events?.send).toBeGreaterThan(0);
      });
    }

    if (group === 'Process') {
      it('Process: Process.kill(pid, signum) only ever reaches the child the sweep spawned for it', () => {
        // Any other pid is someone else's process; 0 and -1 are the runner's process group and every
        // process on the machine (a sweep's SIGINT through kill(0) once ended a CI run).
        const run = sweep(group);
        const own = (run.summary as (SweepSummary & { killTargetPid?: number | null }) | undefined)?.killTargetPid;
        const allowed = new Set([2 ** 31 - 1, -(2 ** 31 - 1), ...(typeof own === 'number' ? [own, -own] : [])]);
        const calls = run.stderr.split('\n').filter((l) => / Process\.kill this=/.test(l));
        expect(calls.length, context(run)).toBeGreaterThan(0);
        const reaching = calls.filter((l) => {
          const m = /args=\((-?\d+), (\d+)[,)]/.exec(l);
          return m !== null && Math.abs(Number(m[1])) <= 2 ** 31 - 1 && Number(m[2]) <= 64 && !allowed.has(Number(m[1]));
        });
        expect(reaching).toEqual([]);
      });
    }

    it(`${group}: every call succeeds or throws an Error with a string code`, () => {
      const run = sweep(group);
      const summary = run.summary;
      expect(summary, `no summary printed (crash?)\n${context(run)}`).toBeDefined();
      if (summary === undefined) return;
      const uncoded = Object.entries(summary.uncoded).map(([key, { count, example }]) => `${count}× ${key}\n    e.g. ${example}`);
      expect(uncoded, `errors without a code (seed ${summary.seed}):\n${uncoded.join('\n')}`).toEqual([]);
      expect(summary.uncaught.uncoded).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// fs: fsCall / fsCancel / fsInit with garbage (the TS layer checks first; these are the native
// re-checks). Requests started here use slots from 1,000,000 up, far from the TS layer's (which
// ignores completions for slots it did not hand out).

describe('raw binding: fs', () => {
  const ops = binding.fsOps;
  const OP_COUNT = Object.keys(ops).length;
  const SLOT_MAX = 2 ** 22 - 1;
  let tmp = '';
  const scratchDir = (): string => (tmp ||= mkdtempSync(path.join(tmpdir(), 'uvkit-raw-fs-')));
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** The call throws an Error of `cls` with `code`. */
  function expectCoded(fn: () => unknown, cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, what: string): void {
    const error = capture(fn);
    expect(error, `${what}: did not throw`).not.toBe(NO_THROW);
    expect(error, `${what}: ${describeValue(error)}`).toBeInstanceOf(cls);
    expect(errorCode(error), `${what}: ${describeValue(error)}`).toBe(code);
  }

  function withRawLoop(fn: (loop: object) => void): void {
    const loop = new (cls('Loop'))(false);
    try {
      fn(loop);
    } finally {
      (Reflect.get(loop, 'close') as () => void).call(loop);
    }
  }

  const call = (...args: unknown[]): unknown => Reflect.apply(binding.fsCall, undefined, args) as unknown;
  const runLoop = (loop: object): unknown => (Reflect.get(loop, 'run') as (mode: number) => unknown).call(loop, 0);

  it('fsOps numbers every op 0..n-1 and fsConstants holds the copy, symlink and dirent constants', () => {
    expect(Object.values(ops).sort((a, b) => a - b)).toEqual(Array.from({ length: OP_COUNT }, (_, i) => i));
    expect(OP_COUNT).toBe(36);
    for (const name of ['COPYFILE_EXCL', 'COPYFILE_FICLONE', 'COPYFILE_FICLONE_FORCE', 'SYMLINK_DIR', 'SYMLINK_JUNCTION', 'UV_DIRENT_FILE', 'UV_DIRENT_DIR']) {
      expect(typeof binding.fsConstants[name], name).toBe('number');
    }
  });

  it('fsCall: a bad op number throws (ERR_OUT_OF_RANGE for numbers outside 0..n-1, ERR_INVALID_ARG_TYPE for non-numbers)', () => {
    for (const op of [-1, OP_COUNT, OP_COUNT + 1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, -0.5]) {
      expectCoded(() => call(op, -1, undefined, scratchDir()), RangeError, 'ERR_OUT_OF_RANGE', `op ${describeValue(op)}`);
    }
    for (const op of [undefined, null, '4', true, 4n, {}, [], Symbol('op'), () => 4, new Number(4)]) {
      expectCoded(() => call(op, -1, undefined, scratchDir()), TypeError, 'ERR_INVALID_ARG_TYPE', `op ${describeValue(op)}`);
    }
  });

  it('fsCall: a bad slot throws; fsCancel re-checks its slot too and answers false for slots never used', () => {
    withRawLoop((loop) => {
      for (const slot of [-2, -1.5, 0.5, NaN, Infinity, -Infinity, SLOT_MAX + 1, 2 ** 31, 2 ** 53]) {
        expectCoded(() => call(ops.stat, slot, loop, scratchDir()), RangeError, 'ERR_OUT_OF_RANGE', `slot ${describeValue(slot)}`);
      }
      for (const slot of [undefined, null, '0', true, 0n, {}, Symbol('s')]) {
        expectCoded(() => call(ops.stat, slot, loop, scratchDir()), TypeError, 'ERR_INVALID_ARG_TYPE', `slot ${describeValue(slot)}`);
      }
      for (const slot of [-1, 1.5, NaN, SLOT_MAX + 1, 2 ** 53]) {
        expectCoded(() => Reflect.apply(binding.fsCancel, undefined, [slot]), RangeError, 'ERR_OUT_OF_RANGE', `fsCancel(${describeValue(slot)})`);
      }
      for (const slot of [undefined, null, '0', {}, 0n]) {
        expectCoded(() => Reflect.apply(binding.fsCancel, undefined, [slot]), TypeError, 'ERR_INVALID_ARG_TYPE', `fsCancel(${describeValue(slot)})`);
      }
      expect(binding.fsCancel(SLOT_MAX)).toBe(false);
      expect(binding.fsCancel(1_234_567)).toBe(false);
      expect(binding.debugCounts().fsRequests).toBe(0);
    });
  });

  it('fsCall: anything but an open Loop of this environment as the loop of an async call throws, and nothing starts', () => {
    const closed = new (cls('Loop'))(false);
    (Reflect.get(closed, 'close') as () => void).call(closed);
    const timer = new (cls('Timer'))(Loop.default());
    try {
      const notLoops = [undefined, null, 5, 'loop', {}, [], Object.create(cls('Loop').prototype as object), cls('Loop'), timer, new Proxy({}, {})];
      for (const loop of notLoops) {
        expectCoded(() => call(ops.stat, 1_000_000, loop, scratchDir()), TypeError, 'ERR_INVALID_ARG_TYPE', `loop ${describeValue(loop)}`);
      }
      expectCoded(() => call(ops.stat, 1_000_000, closed, scratchDir()), Error, 'ERR_LOOP_CLOSED', 'a closed loop');
      expect(binding.debugCounts().fsRequests).toBe(0);
      expect(binding.fsCancel(1_000_000)).toBe(false);
    } finally {
      (Reflect.get(timer, 'close') as () => void).call(timer);
    }
  });

  it('fsCall: a slot in use throws ERR_INVALID_STATE (the request in it goes on); the largest slot works', () => {
    withRawLoop((loop) => {
      expect(call(ops.stat, 1_000_001, loop, scratchDir())).toBe(0);
      expectCoded(() => call(ops.stat, 1_000_001, loop, scratchDir()), Error, 'ERR_INVALID_STATE', 'slot in use');
      expectCoded(() => call(ops.lstat, 1_000_001, Loop.default(), scratchDir()), Error, 'ERR_INVALID_STATE', 'slot in use, other loop');
      expect(call(ops.stat, SLOT_MAX, loop, scratchDir())).toBe(0);
      expect(binding.debugCounts().fsRequests).toBe(2);
      expect(typeof binding.fsCancel(1_000_001)).toBe('boolean'); // queued or already running: either answer
      runLoop(loop);
      expect(binding.debugCounts().fsRequests).toBe(0);
      // free again: reusable
      expect(call(ops.stat, 1_000_001, loop, scratchDir())).toBe(0);
      runLoop(loop);
      expect(binding.fsCancel(1_000_001)).toBe(false);
    });
  });

  it('fsCall: every op with garbage in every argument throws a coded error or returns a result, never aborts', () => {
    const dir = scratchDir();
    const file = path.join(dir, 'garbage-target');
    const detached = new Uint8Array(8);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const values: unknown[] = [
      undefined, null, true, -1, -2, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53, 1n, Symbol('g'), {}, [], [detached], [1],
      'a\u0000b', Buffer.from('a\u0000b'), file, Buffer.from(file), new Float64Array(2), new DataView(new ArrayBuffer(4)), detached,
      new Proxy({}, { get: () => { throw new Error('trap'); } }), () => {}, new Date(0), new ArrayBuffer(4),
    ];
    const failures: string[] = [];
    for (let op = 0; op < OP_COUNT; op++) {
      for (const value of values) {
        for (const argsOf of [(v: unknown) => [v], (v: unknown) => [v, v, v, v, v], (v: unknown) => [file, v, v, v, v], (v: unknown) => [v, file, 0, 0, 0]]) {
          const args = argsOf(value);
          const outcome = capture(() => call(op, -1, undefined, ...args));
          const ok = outcome === NO_THROW || isCodedError(outcome);
          if (!ok) failures.push(`fsCall(${op}, -1, undefined, ${args.map(describeValue).join(', ')}): ${describeValue(outcome)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(binding.debugCounts().fsRequests).toBe(0);
  });

  it('fsCall: reads and writes through detached buffers move 0 bytes (sync and async); offsets past them are out of range', () => {
    const file = path.join(scratchDir(), 'detached-io');
    writeFileSync(file, 'abcdef');
    const fd = openSync(file, 'r+');
    try {
      const detached = new Uint8Array(16);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      expect(detached.byteLength).toBe(0);
      expect(call(ops.read, -1, undefined, fd, detached, 0, 0, 0)).toBe(0);
      expect(call(ops.write, -1, undefined, fd, detached, 0, 0, 0)).toBe(0);
      expect(call(ops.read, -1, undefined, fd, [detached, detached], 0, 0, 0)).toBe(0);
      expectCoded(() => call(ops.read, -1, undefined, fd, detached, 1, 0, 0), RangeError, 'ERR_OUT_OF_RANGE', 'offset 1');
      expectCoded(() => call(ops.write, -1, undefined, fd, detached, 0, 1, 0), RangeError, 'ERR_OUT_OF_RANGE', 'length 1');
      withRawLoop((loop) => {
        expect(call(ops.read, 1_000_002, loop, fd, detached, 0, 0, 0)).toBe(0);
        expect(call(ops.write, 1_000_003, loop, fd, [detached], 0, 0, 0)).toBe(0);
        runLoop(loop);
      });
      expect(readFileSync(file, 'latin1')).toBe('abcdef');
    } finally {
      closeSync(fd);
    }
  });

  it('fsInit: anything but a Float64Array of fsRecordStride or more throws; a transferred array is never written through (sync stats land nowhere)', () => {
    const stride = binding.fsRecordStride;
    expect(stride).toBe(2 + binding.statFields); // slot, result, then the values of a stat
    const detached = new Float64Array(stride);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const value of [undefined, null, 5, {}, [], new Float64Array(stride - 1), new Float64Array(0), new Float32Array(stride), new Uint8Array(8 * stride), new BigInt64Array(stride), new DataView(new ArrayBuffer(8 * stride)), detached]) {
      expectCoded(() => Reflect.apply(binding.fsInit, undefined, [value]), TypeError, 'ERR_INVALID_ARG_TYPE', `fsInit(${describeValue(value)})`);
    }
    const mine = new Float64Array(stride);
    try {
      binding.fsInit(mine);
      expect(call(ops.stat, -1, undefined, scratchDir())).toBe(0);
      expect(mine[1]! & 0o170000).toBe(0o040000); // st_mode of a directory
      const moved = structuredClone(mine.buffer, { transfer: [mine.buffer] });
      new Float64Array(moved).fill(7);
      expect(call(ops.stat, -1, undefined, scratchDir())).toBe(0); // still succeeds
      expect([...new Float64Array(moved)]).toEqual(Array(stride).fill(7)); // the moved memory was not written
    } finally {
      binding.fsInit(syncValues);
    }
    expect(fs.statSync(scratchDir()).isDirectory()).toBe(true); // the TS layer's array is back
  });

  it('directory ids: unknown or closed ids throw ERR_DIR_CLOSED, bad ones are re-checked, a busy one throws ERR_DIR_CONCURRENT_OPERATION', () => {
    const dir = scratchDir();
    writeFileSync(path.join(dir, 'entry'), '');
    for (const id of [-1, 1.5, NaN, 2 ** 31]) {
      expectCoded(() => call(ops.readdir, -1, undefined, id), RangeError, 'ERR_OUT_OF_RANGE', `readdir(${describeValue(id)})`);
    }
    for (const id of ['0', null, {}]) expectCoded(() => call(ops.closedir, -1, undefined, id), TypeError, 'ERR_INVALID_ARG_TYPE', `closedir(${describeValue(id)})`);
    expectCoded(() => call(ops.readdir, -1, undefined, 123_456), Error, 'ERR_DIR_CLOSED', 'unknown id');
    for (const size of [0, -1, 4097, 1.5]) expectCoded(() => call(ops.opendir, -1, undefined, dir, size), RangeError, 'ERR_OUT_OF_RANGE', `bufferSize ${size}`);
    const id = call(ops.opendir, -1, undefined, dir, 4) as number;
    expect(Number.isInteger(id)).toBe(true);
    withRawLoop((loop) => {
      expect(call(ops.readdir, 1_000_004, loop, id)).toBe(0);
      expectCoded(() => call(ops.readdir, -1, undefined, id), Error, 'ERR_DIR_CONCURRENT_OPERATION', 'readdir while busy');
      expectCoded(() => call(ops.closedir, 1_000_005, loop, id), Error, 'ERR_DIR_CONCURRENT_OPERATION', 'closedir while busy');
      expectCoded(() => call(ops.closedir, -1, undefined, id), Error, 'ERR_DIR_CONCURRENT_OPERATION', 'closedir while busy');
      runLoop(loop);
    });
    expect(call(ops.readdir, -1, undefined, id)).toEqual([]); // the async readdir took the one entry
    expect(call(ops.closedir, -1, undefined, id)).toBe(0);
    expectCoded(() => call(ops.closedir, -1, undefined, id), Error, 'ERR_DIR_CLOSED', 'closed twice');
    expectCoded(() => call(ops.readdir, -1, undefined, id), Error, 'ERR_DIR_CLOSED', 'read after close');
  });
});

describe('raw binding: fs scenarios (child processes, ASan-checked when the sanitizer build exists)', () => {
  function scenario(body: string, leaks = false): string[] {
    const script = `import { binding } from ${JSON.stringify(distBinding)};\nimport ${JSON.stringify(distErrors)};\n${body}`;
    const child = runNode(['--expose-gc', '--input-type=module', '-e', script], asanEnv({ leaks }) ?? {});
    expect(sanitizerReport.exec(child.stderr), `sanitizer report:\n${child.stderr.slice(0, 3000)}`).toBeNull();
    expect(child.signal, tail(child.stderr)).toBeNull();
    expect(child.status, tail(child.stderr)).toBe(0);
    return child.stdout.trim().split('\n');
  }

  it('the completion records transferred away inside fsDone: later completions go to a new array, the moved memory is never written', () => {
    const out = scenario(`
      const moved = [];
      const seen = [];
      binding.setCallback('fsDone', function (count, records) {
        for (let i = 0; i < count; i++) seen.push([records[i * binding.fsRecordStride], records[i * binding.fsRecordStride + 1]]);
        moved.push(structuredClone(records.buffer, { transfer: [records.buffer] }));
        new Float64Array(moved.at(-1)).fill(-7);
      });
      const loop = new binding.Loop(false);
      for (let round = 0; round < 5; round++) {
        binding.fsCall(binding.fsOps.stat, 10 + round, loop, '.');
        loop.run(0);
        globalThis.gc();
      }
      loop.close();
      const untouched = moved.every((b) => new Float64Array(b).every((v) => v === -7));
      console.log(JSON.stringify({ seen, untouched, counts: binding.debugCounts() }));
    `);
    // (Node's loop is not wrapped in this script: no loop is left)
    expect(JSON.parse(out.at(-1)!)).toEqual({ seen: [[10, 0], [11, 0], [12, 0], [13, 0], [14, 0]], untouched: true, counts: { handles: 0, uvHandles: 0, loops: 0, fsRequests: 0, poolRequests: 0 } });
  });

  it('raw loops collected with fs requests (and an open directory) in flight: the requests end, nothing leaks', () => {
    const out = scenario(
      `
      const calls = [];
      binding.setCallback('fsDone', (count) => calls.push(count));
      const node = new binding.Loop(true); // Node's loop, wrapped: debugCounts().loops counts it
      let slot = 0;
      (() => {
        for (let i = 0; i < 20; i++) {
          const loop = new binding.Loop(false);
          for (let k = 0; k < 10; k++) binding.fsCall(binding.fsOps.stat, slot++, loop, '.');
          binding.fsCall(binding.fsOps.opendir, slot++, loop, '.', 8);
          binding.fsCall(binding.fsOps.scandir, slot++, loop, '.');
        }
      })();
      for (let i = 0; i < 20 && binding.debugCounts().loops > 1; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
      for (let i = 0; i < 500 && binding.debugCounts().fsRequests > 0; i++) await new Promise((r) => setImmediate(r));
      console.log(JSON.stringify({ calls: calls.length, counts: binding.debugCounts(), node: node.isDefault }));
    `,
      true,
    );
    // the loops were never run: no completion reached JS
    expect(JSON.parse(out.at(-1)!)).toEqual({ calls: 0, counts: { handles: 0, uvHandles: 0, loops: 1, fsRequests: 0, poolRequests: 0 }, node: true });
  });

  it('a closedir cancelled while queued behind a blocked thread pool reports ECANCELED and leaves the directory open and usable', () => {
    const out = scenario(
      `
      import { execFileSync } from 'node:child_process';
      import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
      const POOL = Math.min(1024, Math.max(1, Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10) || 4));
      const dir = mkdtempSync('/tmp/uvkit-raw-closedir-');
      writeFileSync(dir + '/a', '');
      execFileSync('mkfifo', [dir + '/fifo']);
      const results = [];
      binding.setCallback('fsDone', (count, records) => { for (let i = 0; i < count; i++) results.push([records[i * binding.fsRecordStride], records[i * binding.fsRecordStride + 1]]); });
      const loop = new binding.Loop(false);
      for (let i = 0; i < POOL; i++) binding.fsCall(binding.fsOps.open, i, loop, dir + '/fifo', constants.O_RDONLY, 0);
      const id = binding.fsCall(binding.fsOps.opendir, -1, undefined, dir, 4);
      binding.fsCall(binding.fsOps.closedir, 100, loop, id);
      const cancelled = binding.fsCancel(100);
      const again = binding.fsCancel(100);
      let busy; try { binding.fsCall(binding.fsOps.readdir, -1, undefined, id); busy = 'none'; } catch (e) { busy = e.code; }
      const writer = openSync(dir + '/fifo', constants.O_RDWR);
      loop.run(0);
      closeSync(writer);
      for (const [slot, result] of results) if (slot < POOL && result >= 0) closeSync(result);
      const entries = binding.fsCall(binding.fsOps.readdir, -1, undefined, id).filter((v, i) => i % 2 === 0).sort();
      const closed = binding.fsCall(binding.fsOps.closedir, -1, undefined, id);
      let after; try { binding.fsCall(binding.fsOps.readdir, -1, undefined, id); after = 'none'; } catch (e) { after = e.code; }
      loop.close();
      rmSync(dir, { recursive: true });
      const closedir = results.find(([slot]) => slot === 100)?.[1];
      console.log(JSON.stringify({ cancelled, again, busy, closedir: closedir === binding.codes.ECANCELED, opens: results.length - 1, entries, closed, after, counts: binding.debugCounts() }));
    `,
      true,
    );
    expect(JSON.parse(out.at(-1)!)).toEqual({
      cancelled: true,
      again: false,
      busy: 'ERR_DIR_CONCURRENT_OPERATION',
      closedir: true,
      opens: Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10) || 4,
      entries: ['a', 'fifo'],
      closed: 0,
      after: 'ERR_DIR_CLOSED',
      counts: { handles: 0, uvHandles: 0, loops: 0, fsRequests: 0, poolRequests: 0 },
    });
  });

  it('fsDone throwing or replaced by garbage-accepting callbacks, requests on Node’s loop: every completion is reported, the process goes on', () => {
    const out = scenario(`
      let delivered = 0;
      const caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      binding.setCallback('fsDone', (count) => { delivered += count; throw new Error('fsDone ' + delivered); });
      const loop = new binding.Loop(true);
      for (let i = 0; i < 30; i++) binding.fsCall(binding.fsOps.stat, i, loop, '.');
      for (let i = 0; i < 500 && delivered < 30; i++) await new Promise((r) => setImmediate(r));
      console.log(JSON.stringify({ delivered, thrown: caught.length > 0, counts: binding.debugCounts() }));
    `);
    expect(JSON.parse(out.at(-1)!)).toEqual({ delivered: 30, thrown: true, counts: { handles: 0, uvHandles: 0, loops: 1, fsRequests: 0, poolRequests: 0 } });
  });
});
