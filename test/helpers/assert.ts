// Small helpers the behaviour tests share.

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
