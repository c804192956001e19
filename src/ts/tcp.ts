/** TCP: a libuv TCP stream (uv_tcp_t), client or server, IPv4 or IPv6. */
import { readAddress, type AddressInput } from './address.js';
import { binding, nativeMethods, type SocketAddress } from './binding.js';
import { invalidArgType, invalidArgValue } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
// kFlush is named in the emitted declarations of the stream mixin.
import { completion, kStream, streamClass, type kFlush, type kWriteHandle, type StatusCallback, type Stream } from './stream.js';
import { validateBoolean, validateFunction, validateInteger, validateObject } from './validate.js';

export type { SocketAddress, AddressInput };

export interface TCPOptions {
  /** Create the socket now, of this family; without it the socket is made by bind() or connect(). */
  family?: 'IPv4' | 'IPv6';
}

export interface TCPBindOptions {
  /** IPv6 only, no IPv4-mapped addresses (for an IPv6 address). */
  ipv6Only?: boolean;
  /** SO_REUSEPORT: several sockets may bind the same address; the kernel spreads connections. */
  reusePort?: boolean;
}

const native = nativeMethods(binding.TCP);

export class TCP extends streamClass(binding.TCP) implements Stream {
  constructor(loop?: Loop, options: TCPOptions = {}) {
    validateObject(options, 'options');
    const { family } = options;
    if (family !== undefined && family !== 'IPv4' && family !== 'IPv6') {
      throw invalidArgValue('options.family', family, "must be 'IPv4' or 'IPv6'");
    }
    super(resolveLoop(loop), family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : 0);
  }

  /** Binds to `addr` (port 0: any free port; see getsockname()). */
  bind(addr: AddressInput, options: TCPBindOptions = {}): void {
    const [address, port] = readAddress(addr);
    validateObject(options, 'options');
    const { ipv6Only = false, reusePort = false } = options;
    validateBoolean(ipv6Only, 'options.ipv6Only');
    validateBoolean(reusePort, 'options.reusePort');
    native.bind.call(this, address, port, ipv6Only, reusePort);
  }

  /** Connects to `addr`; `callback(error)` (or the promise) tells how it went. */
  connect(addr: AddressInput, callback: StatusCallback): void;
  connect(addr: AddressInput): Promise<void>;
  connect(addr: AddressInput, callback?: StatusCallback): void | Promise<void> {
    const [address, port] = readAddress(addr);
    const out: { promise?: Promise<void> } = {};
    const done = completion(callback, out, this.loop, 'UVKIT_TCPCONNECT');
    native.connect.call(this, address, port);
    this[kStream].connects.push({ completion: done, details: { address, port } });
    return out.promise;
  }

  override nodelay(enable: boolean): void {
    validateBoolean(enable, 'enable');
    super.nodelay(enable);
  }

  /** TCP keepalive; `delay` (required to enable) is the idle time in seconds before the first probe. */
  override keepalive(enable: boolean, delay?: number): void {
    validateBoolean(enable, 'enable');
    if (enable && delay === undefined) throw invalidArgType('delay', 'a number of seconds (>= 1) when enable is true', delay);
    if (delay !== undefined) validateInteger(delay, 'delay', enable ? 1 : 0, 2 ** 31 - 1);
    super.keepalive(enable, delay ?? 0);
  }

  override simultaneousAccepts(enable: boolean): void {
    validateBoolean(enable, 'enable');
    super.simultaneousAccepts(enable);
  }

  override open(fd: number): void {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    super.open(fd);
  }

  /** Closes with a TCP reset (RST) instead of a FIN. Otherwise like close(). */
  closeReset(callback: () => void): void;
  closeReset(): Promise<void>;
  closeReset(callback?: () => void): void | Promise<void> {
    if (callback !== undefined) validateFunction(callback, 'callback');
    if (!this.closing && !this.closed) native.closeReset.call(this);
    return callback === undefined ? this.close() : this.close(callback);
  }

  override get sendBufferSize(): number {
    return super.sendBufferSize;
  }
  override set sendBufferSize(size: number) {
    validateInteger(size, 'size', 1, 2 ** 31 - 1);
    super.sendBufferSize = size;
  }

  override get recvBufferSize(): number {
    return super.recvBufferSize;
  }
  override set recvBufferSize(size: number) {
    validateInteger(size, 'size', 1, 2 ** 31 - 1);
    super.recvBufferSize = size;
  }
}
