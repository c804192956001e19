// errors, constants and features: the shapes API.md ("Errors and constants") promises, checked
// against Node's own tables where Node has the same information.
import { constants as osConstants } from 'node:os';
import util from 'node:util';
import { describe, expect, it } from 'vitest';
import { Loop, Signal, Timer, UVError, constants, errors, features } from '../src/ts/index.js';
import { capture, errorCode, NO_THROW } from './helpers/assert.js';

function errno(name: string): number {
  const value = errors.codes[name];
  if (value === undefined) throw new Error(`errors.codes has no ${name}`);
  return value;
}

// Node's own table: errno -> [name, message], both straight from libuv.
const nodeErrors = util.getSystemErrorMap();

describe('errors.UVError', () => {
  it('is an Error subclass with code, errno, syscall and name UVError', () => {
    const error = new UVError(errno('ENOENT'), 'open');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(UVError);
    expect(errors.UVError).toBe(UVError);
    expect(error.name).toBe('UVError');
    expect(error.code).toBe('ENOENT');
    expect(error.errno).toBe(errno('ENOENT'));
    expect(error.errno).toBeLessThan(0);
    expect(error.syscall).toBe('open');
    expect(typeof error.stack).toBe('string');
    expect(error.stack).toContain('UVError');
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
  });

  it('formats `${code}: ${strerror}, ${syscall}` without address or path', () => {
    const error = new UVError(errno('EINVAL'), 'uv_timer_again');
    expect(error.message).toBe('EINVAL: invalid argument, uv_timer_again');
    expect(error.message).toBe(`EINVAL: ${errors.strerror(errno('EINVAL'))}, uv_timer_again`);
    expect(error.address).toBeUndefined();
    expect(error.port).toBeUndefined();
    expect(error.path).toBeUndefined();
    expect(error.dest).toBeUndefined();
  });

  it('carries address/port/path/dest only where known (no undefined own keys, as Node’s errors)', () => {
    const plain = new UVError(errno('EINVAL'), 'uv_timer_again');
    for (const key of ['address', 'port', 'path', 'dest']) expect(Object.hasOwn(plain, key), key).toBe(false);
    expect(util.inspect(plain)).not.toContain('undefined');
    const withPath = new UVError(errno('ENOENT'), 'open', { path: '/x' });
    expect(Object.hasOwn(withPath, 'path')).toBe(true);
    for (const key of ['address', 'port', 'dest']) expect(Object.hasOwn(withPath, key), key).toBe(false);
  });

  it("formats Node's network form with address and port: connect ECONNREFUSED 127.0.0.1:9", () => {
    const error = new UVError(errno('ECONNREFUSED'), 'connect', { address: '127.0.0.1', port: 9 });
    expect(error.message).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.errno).toBe(errno('ECONNREFUSED'));
    expect(error.syscall).toBe('connect');
    expect(error.address).toBe('127.0.0.1');
    expect(error.port).toBe(9);
  });

  it('leaves the port out when it is not known (0), as Node does', () => {
    const error = new UVError(errno('EADDRINUSE'), 'bind', { address: '::1', port: 0 });
    expect(error.message).toBe('bind EADDRINUSE ::1');
    expect(error.port).toBe(0);
    const noPort = new UVError(errno('EADDRNOTAVAIL'), 'bind', { address: '10.255.255.1' });
    expect(noPort.message).toBe('bind EADDRNOTAVAIL 10.255.255.1');
  });

  it("formats Node's fs form with path, and path -> dest", () => {
    const enoent = new UVError(errno('ENOENT'), 'open', { path: '/no/such/file' });
    expect(enoent.message).toBe("ENOENT: no such file or directory, open '/no/such/file'");
    expect(enoent.path).toBe('/no/such/file');
    const eexist = new UVError(errno('EEXIST'), 'link', { path: '/a', dest: '/b' });
    expect(eexist.message).toBe("EEXIST: file already exists, link '/a' -> '/b'");
    expect(eexist.path).toBe('/a');
    expect(eexist.dest).toBe('/b');
  });

  it('matches the message Node itself builds for the same fs failure', async () => {
    const { open } = await import('node:fs/promises');
    const path = '/definitely/not/here/uvkit';
    const nodeError = await open(path).then(
      () => null,
      (error: unknown) => error,
    );
    expect(errorCode(nodeError)).toBe('ENOENT');
    const ours = new UVError(errno('ENOENT'), 'open', { path });
    expect(ours.message).toBe((nodeError as Error).message);
    expect(ours.errno).toBe((nodeError as { errno?: unknown }).errno);
  });
});

describe('errors.errname / errors.strerror / errors.codes', () => {
  it('codes holds the usual names, all negative integers', () => {
    for (const name of ['ENOENT', 'EINVAL', 'ECONNREFUSED', 'EAGAIN', 'EBADF', 'EADDRINUSE', 'ECANCELED', 'EPIPE', 'ETIMEDOUT', 'EOF', 'EACCES', 'EEXIST', 'EBUSY', 'ENOTSOCK', 'EMSGSIZE']) {
      expect(errors.codes[name], name).toBeTypeOf('number');
    }
    const entries = Object.entries(errors.codes);
    expect(entries.length).toBeGreaterThan(50);
    for (const [name, value] of entries) {
      expect(Number.isInteger(value), name).toBe(true);
      expect(value, name).toBeLessThan(0);
    }
  });

  it('codes is frozen', () => {
    expect(Object.isFrozen(errors.codes)).toBe(true);
    expect(() => {
      (errors.codes as Record<string, number>).ENOENT = 1;
    }).toThrow(TypeError);
  });

  it.runIf(process.platform !== 'win32')('codes are the negated OS errno values on POSIX', () => {
    for (const name of ['ENOENT', 'EINVAL', 'ECONNREFUSED', 'EAGAIN', 'EBADF', 'EPIPE', 'EACCES']) {
      const osErrno = (osConstants.errno as Record<string, number | undefined>)[name];
      expect(osErrno, name).toBeTypeOf('number');
      expect(errors.codes[name], name).toBe(-(osErrno ?? 0));
    }
  });

  it("errname matches Node's util.getSystemErrorName for every code", () => {
    for (const [name, value] of Object.entries(errors.codes)) {
      expect(errors.errname(value), name).toBe(util.getSystemErrorName(value));
    }
    expect(errors.errname(errno('ENOENT'))).toBe('ENOENT');
    expect(errors.errname(errno('ECONNREFUSED'))).toBe('ECONNREFUSED');
  });

  it('errname maps every code back to its own name', () => {
    for (const [name, value] of Object.entries(errors.codes)) {
      expect(errors.errname(value)).toBe(name);
    }
  });

  it("strerror matches Node's message table for every code", () => {
    for (const [name, value] of Object.entries(errors.codes)) {
      const node = nodeErrors.get(value);
      expect(node, name).toBeDefined();
      expect(errors.strerror(value), name).toBe(node?.[1]);
      expect(node?.[0], name).toBe(name);
    }
    expect(errors.strerror(errno('ENOENT'))).toBe('no such file or directory');
  });

  it('an unknown errno gives the libuv fallback text, as Node does', () => {
    expect(errors.errname(-12345)).toBe(util.getSystemErrorName(-12345));
    expect(errors.strerror(-12345)).toContain('-12345');
  });

  it.each([
    { label: "'x'", value: 'x' },
    { label: 'undefined', value: undefined },
    { label: 'null', value: null },
    { label: '1n', value: 1n },
    { label: '{}', value: {} },
  ])('errname/strerror($label) throw TypeError ERR_INVALID_ARG_TYPE', ({ value }) => {
    for (const fn of [errors.errname, errors.strerror]) {
      const error = capture(() => Reflect.apply(fn, undefined, [value]) as unknown);
      expect(error).toBeInstanceOf(TypeError);
      expect(errorCode(error)).toBe('ERR_INVALID_ARG_TYPE');
    }
  });

  it.each([1.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53])('errname/strerror(%s) throw RangeError ERR_OUT_OF_RANGE', (value) => {
    for (const fn of [errors.errname, errors.strerror]) {
      const error = capture(() => fn(value));
      expect(error).toBeInstanceOf(RangeError);
      expect(errorCode(error)).toBe('ERR_OUT_OF_RANGE');
    }
  });
});

describe('UVError thrown by the native layer', () => {
  it('timer.again() on a timer never started: UVError EINVAL, syscall uv_timer_again', () => {
    const loop = new Loop();
    try {
      const timer = new Timer(loop);
      const error = capture(() => timer.again());
      expect(error).toBeInstanceOf(UVError);
      expect(error).toBeInstanceOf(Error);
      const e = error as UVError;
      expect(e.name).toBe('UVError');
      expect(e.code).toBe('EINVAL');
      expect(e.errno).toBe(errno('EINVAL'));
      expect(e.syscall).toBe('uv_timer_again');
      expect(e.message).toBe('EINVAL: invalid argument, uv_timer_again');
      expect(timer.active).toBe(false);
    } finally {
      loop.close();
    }
  });

  it('fileno() on a Timer (no fd): UVError EBADF with its syscall', () => {
    const loop = new Loop();
    try {
      const timer = new Timer(loop);
      const error = capture(() => timer.fileno());
      expect(error).toBeInstanceOf(UVError);
      const e = error as UVError;
      expect(e.code).toBe('EBADF');
      expect(e.errno).toBe(errno('EBADF'));
      expect(typeof e.syscall).toBe('string');
      expect(e.syscall.length).toBeGreaterThan(0);
      expect(e.message).toBe(`EBADF: bad file descriptor, ${e.syscall}`);
    } finally {
      loop.close();
    }
  });

  it.runIf(process.platform !== 'win32')('Signal.start(SIGKILL): UVError EINVAL from libuv, syscall set', () => {
    const loop = new Loop();
    try {
      const signal = new Signal(loop);
      const error = capture(() => signal.start(() => {}, 'SIGKILL'));
      expect(error).toBeInstanceOf(UVError);
      const e = error as UVError;
      expect(e.code).toBe('EINVAL');
      expect(e.errno).toBe(errno('EINVAL'));
      expect(e.syscall).toMatch(/signal_start/);
      expect(signal.active).toBe(false);
    } finally {
      loop.close();
    }
  });
});

describe('constants', () => {
  it('runMode maps the three modes to libuv numbers', () => {
    expect(constants.runMode).toEqual({ default: 0, once: 1, nowait: 2 });
    expect(Object.isFrozen(constants.runMode)).toBe(true);
  });

  it('handleType has every libuv handle type as its uv_handle_type number', () => {
    // uv.h's enum is part of libuv's stable 1.x ABI.
    expect(constants.handleType).toMatchObject({
      UNKNOWN_HANDLE: 0,
      ASYNC: 1,
      CHECK: 2,
      FS_EVENT: 3,
      FS_POLL: 4,
      HANDLE: 5,
      IDLE: 6,
      NAMED_PIPE: 7,
      POLL: 8,
      PREPARE: 9,
      PROCESS: 10,
      STREAM: 11,
      TCP: 12,
      TIMER: 13,
      TTY: 14,
      UDP: 15,
      SIGNAL: 16,
      FILE: 17,
    });
    const values = Object.values(constants.handleType);
    expect(new Set(values).size).toBe(values.length);
    expect(Object.isFrozen(constants.handleType)).toBe(true);
  });

  it("signals agree with Node's os.constants.signals (SIGINT and every other name Node knows)", () => {
    expect(constants.signals.SIGINT).toBe(osConstants.signals.SIGINT);
    expect(constants.signals.SIGTERM).toBe(osConstants.signals.SIGTERM);
    for (const [name, value] of Object.entries(osConstants.signals)) {
      expect(constants.signals[name], name).toBe(value);
    }
    for (const [name, value] of Object.entries(constants.signals)) {
      expect(name, name).toMatch(/^SIG[A-Z0-9]+$/);
      expect(Number.isInteger(value) && value > 0, name).toBe(true);
    }
    expect(Object.isFrozen(constants.signals)).toBe(true);
  });
});

describe('features', () => {
  it('uvVersion is the running libuv (Node’s own)', () => {
    expect(features.uvVersion).toBe(process.versions.uv);
  });

  it('uvVersionHex agrees with uvVersion', () => {
    const [major = 0, minor = 0, patch = 0] = features.uvVersion.split('.').map(Number);
    expect(features.uvVersionHex).toBe((major << 16) | (minor << 8) | patch);
  });

  it('every other field is a boolean', () => {
    const others = Object.entries(features).filter(([key]) => key !== 'uvVersion' && key !== 'uvVersionHex');
    expect(others.length).toBeGreaterThanOrEqual(2);
    for (const [key, value] of others) expect(typeof value, key).toBe('boolean');
    expect(typeof features.recvmmsg).toBe('boolean');
    expect(typeof features.reusePort).toBe('boolean');
  });

  it('version-gated features follow the running libuv version', () => {
    const [major = 0, minor = 0] = features.uvVersion.split('.').map(Number);
    const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
    expect(features.reusePort).toBe(atLeast(1, 49));
    expect(features.metricsInfo).toBe(atLeast(1, 45));
    if (process.platform === 'linux') expect(features.recvmmsg).toBe(atLeast(1, 37));
  });

  it('is frozen', () => {
    expect(Object.isFrozen(features)).toBe(true);
  });
});
