/**
 * Errors: {@link UVError} for libuv failures, and Node-style coded errors for bad arguments
 * (thrown synchronously, before any side effect).
 */
import { inspect } from 'node:util';
import { binding } from './binding.js';

/** Extra fields a libuv error may carry, as Node's own errors do. */
export interface UVErrorDetails {
  address?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  dest?: string | undefined;
  /** The name a DNS lookup was for (getaddrinfo). */
  hostname?: string | undefined;
}

/**
 * A libuv failure. `errno` is libuv's negative number, `code` its name ('ECONNREFUSED').
 * The message follows Node: `connect ECONNREFUSED 127.0.0.1:9` when an address is known,
 * `ENOENT: no such file or directory, open '/x'` otherwise.
 */
export class UVError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  // Declared, not initialised: like Node's errors, the fields exist only where known.
  declare address?: string;
  declare port?: number;
  declare path?: string;
  declare dest?: string;
  declare hostname?: string;

  constructor(errno: number, syscall: string, details: UVErrorDetails = {}) {
    const code = binding.errname(errno);
    super(UVError.#message(errno, code, syscall, details));
    this.name = 'UVError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    if (details.address !== undefined) this.address = details.address;
    if (details.port !== undefined) this.port = details.port;
    if (details.path !== undefined) this.path = details.path;
    if (details.dest !== undefined) this.dest = details.dest;
    if (details.hostname !== undefined) this.hostname = details.hostname;
  }

  static #message(errno: number, code: string, syscall: string, d: UVErrorDetails): string {
    if (d.hostname !== undefined) return `${syscall} ${code} ${d.hostname}`;
    if (d.address !== undefined) {
      const where = d.port !== undefined && d.port > 0 ? `${d.address}:${d.port}` : d.address;
      return `${syscall} ${code} ${where}`;
    }
    let message = `${code}: ${binding.strerror(errno)}, ${syscall}`;
    if (d.path !== undefined) message += ` '${d.path}'`;
    if (d.dest !== undefined) message += ` -> '${d.dest}'`;
    return message;
  }
}

// Native code constructs UVError for synchronous and callback errors alike.
binding.init({ UVError });

/** The libuv error name for an errno ('ENOENT' for -2 on Linux). */
export function errname(errno: number): string {
  return binding.errname(errno);
}

/** libuv's message for an errno ('no such file or directory'). */
export function strerror(errno: number): string {
  return binding.strerror(errno);
}

/** libuv error names mapped to their (platform-specific, negative) numbers. */
export const codes: Readonly<Record<string, number>> = Object.freeze({ ...binding.codes });

/** An error with a Node-style `code` (ERR_INVALID_ARG_TYPE and friends). */
export type CodedError = Error & { code: string };

function coded<E extends Error>(error: E, code: string): E & { code: string } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & { code: string };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    return ctor?.name ? `an instance of ${ctor.name}` : inspect(value, { depth: -1 });
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, actual: unknown): CodedError {
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

export function outOfRange(name: string, range: string, actual: unknown): CodedError {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(actual)}`),
    'ERR_OUT_OF_RANGE',
  );
}

export function invalidArgValue(name: string, actual: unknown, reason = 'is invalid'): CodedError {
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${inspect(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

export function unknownSignal(signal: unknown): CodedError {
  return coded(new TypeError(`Unknown signal: ${String(signal)}`), 'ERR_UNKNOWN_SIGNAL');
}

export function illegalConstructor(): CodedError {
  return coded(new TypeError('Illegal constructor'), 'ERR_ILLEGAL_CONSTRUCTOR');
}

/** The same error native code throws for a call on a closing or closed handle. */
export function handleClosed(): CodedError {
  return coded(new Error('The handle is closing or closed'), 'ERR_HANDLE_CLOSED');
}
