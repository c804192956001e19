// Small helpers the behaviour tests share.
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { errors, UVError } from '../../src/ts/index.js';

/** The value `fn` throws; fails the test when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** The `code` of the error `fn` throws (the thrown value itself when it is not an object). */
export function codeOf(fn: () => unknown): unknown {
  const error = thrown(fn);
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : error;
}

/** Blocks the thread (and so every loop on it) for about `ms` milliseconds. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** What capture() returns when `fn` did not throw. */
export const NO_THROW = Symbol('no throw');

/** The value `fn` throws, or NO_THROW. */
export function capture(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return NO_THROW;
}

/** The `code` of an error value (undefined for non-objects). */
export function errorCode(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
}

export type ErrorClass = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor | (new (...args: never[]) => Error);

/** The call throws an instance of exactly `cls` with `code`; returns the error. */
export function expectError(fn: () => unknown, cls: ErrorClass, code: string): Error {
  const error = capture(fn);
  expect(error, 'expected the call to throw').not.toBe(NO_THROW);
  expect(Object.getPrototypeOf(error), `class of ${inspect(error)}`).toBe(cls.prototype);
  expect(errorCode(error), `code of ${inspect(error)}`).toBe(code);
  return error as Error;
}

/** The call throws a UVError with `code` (its errno matching) and `syscall` when given. */
export function expectUVError(fn: () => unknown, code: string, syscall?: string): UVError {
  const error = expectError(fn, UVError, code) as UVError;
  expect(error.errno).toBe(errors.codes[code]);
  if (syscall !== undefined) expect(error.syscall).toBe(syscall);
  return error;
}

/** The code of an asynchronous error result: null for success. */
export function codeOrNull(error: unknown): unknown {
  return error === null ? null : errorCode(error);
}

/**
 * `actual` holds exactly the bytes of `expected` (Buffer.equals: vitest's toEqual walks big
 * buffers byte by byte and takes seconds per MiB). On a mismatch, reports the first differing byte.
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(e)) return;
  let at = 0;
  while (at < a.length && at < e.length && a[at] === e[at]) at++;
  expect.fail(`got ${a.length} bytes, expected ${e.length}; first difference at byte ${at}`);
}

/** Lets Node's loop turn once (pending close callbacks, nextTicks and immediates run). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves like `promise`, or rejects after `ms`: an event that never comes fails the test instead of hanging it. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
