/**
 * UDP: a libuv UDP socket (uv_udp_t), with multicast, broadcast, connected sockets and batched
 * receive (recvmmsg where the running libuv has it).
 *
 * libuv completes a socket's sends in the order they were made, so their callbacks (and the sent
 * buffers, which this keeps alive until then) wait in a FIFO queue here and native code only
 * reports each completion's status.
 */
import { readAddress, readIP, type AddressInput } from './address.js';
import { binding, nativeMethods, type SocketAddress } from './binding.js';
import { invalidArgType, invalidArgValue, UVError } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { forEachCallback, handleClass, resolveLoop, type kClosed } from './handle.js';
import type { Loop } from './loop.js';
import { complete, completion, toBytes, type Completion, type StatusCallback, type WriteData } from './stream.js';
import { validateBoolean, validateFunction, validateInteger, validateObject } from './validate.js';

export type { AddressInput, SocketAddress };

export { UDP_PARTIAL } from './constants.js';

export interface UDPOptions {
  /** Create the socket now, of this family; without it the socket is made by bind(), connect() or the first send. */
  family?: 'IPv4' | 'IPv6';
  /**
   * Receive with recvmmsg (many datagrams per system call) where the running libuv and OS have it
   * (`features.recvmmsg`). Default true. See the `recvmmsg` property for whether it is in use.
   */
  recvmmsg?: boolean;
}

export interface UDPBindOptions {
  /** SO_REUSEADDR (SO_REUSEPORT on the BSDs and macOS): another socket may bind the same address. */
  reuseAddr?: boolean;
  /** IPv6 only, no IPv4-mapped addresses (for an IPv6 address). */
  ipv6Only?: boolean;
  /** SO_REUSEPORT (Linux): sockets bound to the same address share its datagrams. */
  reusePort?: boolean;
}

export interface RecvOptions {
  /**
   * Receive into this buffer instead of fresh memory: each datagram (or a batch's datagrams) is
   * then a view of it, valid until the callback returns. A datagram longer than the room left is
   * cut short and flagged with `UDP_PARTIAL`.
   */
  buffer?: Uint8Array;
}

/** One received datagram. */
export interface Datagram {
  data: Buffer;
  /** The sender; null only where the system gives none. */
  addr: SocketAddress | null;
  /** `UDP_PARTIAL` when the datagram was cut short, else 0. */
  flags: number;
}

export type RecvCallback = (error: UVError | null, data: Buffer | null, addr: SocketAddress | null, flags: number) => void;
/** Datagrams received together; `error` (after them) when receiving failed. */
export type RecvBatchCallback = (batch: Datagram[], error: UVError | null) => void;
export type Membership = 'join' | 'leave';

// Per-socket state, under a symbol so that the callbacks registered once reach it.
const kUDP: unique symbol = Symbol('uvkit.udp');

class UDPState {
  onRecv: RecvCallback | undefined = undefined;
  onBatch: RecvBatchCallback | undefined = undefined;
  recvBuffer: Uint8Array | undefined = undefined;
  // Send requests in libuv: completion and the data it pins, in pairs.
  sends: Array<Completion | Uint8Array | Uint8Array[]> = [];
}

interface UDPLike {
  [kUDP]: UDPState;
}

const native = nativeMethods(binding.UDP);

function view(buffer: Uint8Array | undefined, offset: number, length: number): Buffer {
  // Detached (its ArrayBuffer transferred) while receiving: native code stored nothing in it and
  // flagged the datagrams UDP_PARTIAL; a view of a detached buffer would throw here.
  if (buffer === undefined || buffer.byteLength === 0) return Buffer.alloc(0);
  return Buffer.from(buffer.buffer, buffer.byteOffset + offset, length);
}

binding.setCallback(
  'recv',
  function (this: UDPLike, nread: unknown, storage: unknown, offset: unknown, addr: unknown, flags: unknown) {
    const state = this[kUDP];
    const onRecv = state.onRecv;
    if (onRecv === undefined) return;
    const n = nread as number;
    if (n < 0) return onRecv.call(this, new UVError(n, 'recv'), null, null, 0);
    const data =
      storage !== undefined ? Buffer.from(storage as ArrayBuffer, offset as number, n) : view(state.recvBuffer, 0, n);
    onRecv.call(this, null, data, addr as SocketAddress | null, flags as number);
  },
);

binding.setCallback(
  'recvBatch',
  function (this: UDPLike, count: unknown, storage: unknown, meta: unknown, addrs: unknown, status: unknown) {
    const state = this[kUDP];
    const onBatch = state.onBatch;
    if (onBatch === undefined) return;
    const n = count as number;
    const m = meta as Int32Array;
    const from = addrs as SocketAddress[];
    const batch: Datagram[] = new Array<Datagram>(n);
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      const data =
        storage !== undefined ? Buffer.from(storage as ArrayBuffer, m[j], m[j + 1]) : view(state.recvBuffer, m[j]!, m[j + 1]!);
      const a = m[j + 3]!;
      batch[i] = { data, addr: a >= 0 ? from[a]! : null, flags: m[j + 2]! };
    }
    const s = status as number;
    onBatch.call(this, batch, s < 0 ? new UVError(s, 'recv') : null);
  },
);

// The `count` oldest sends completed: all successfully, or with one status each in `statuses`.
// The `count` oldest sends completed: all successfully, or with one status each in `statuses`.
binding.setCallback('send', function (this: UDP, count: unknown, statuses: unknown) {
  const sends = this[kUDP].sends;
  const codes = statuses as Int32Array | undefined;
  const completed: Array<[Completion, number]> = [];
  for (let i = 0; i < (count as number); i++) {
    completed.push([sends.shift() as Completion, codes === undefined ? 0 : codes[i]!]);
    sends.shift(); // the data it pinned
  }
  forEachCallback(completed, ([done, status]) => complete(done, status, 'send'), this);
});

// The last address send()/trySend() checked: a server answering one peer, or a client sending to
// one server, passes the same object each time (its fields are compared again, as it may change).
let lastAddr: AddressInput | undefined;
let lastChecked: [string, number] = ['', 0];
let lastFamily: string | undefined;

/** send()/trySend()'s optional address: [address, port], or [] for a connected socket. */
function sendAddress(addr: AddressInput | undefined): [string, number] | [] {
  if (addr === undefined) return [];
  if (addr === lastAddr && addr.address === lastChecked[0] && addr.port === lastChecked[1] && addr.family === lastFamily) return lastChecked;
  const checked = readAddress(addr);
  lastAddr = addr;
  lastChecked = checked;
  lastFamily = addr.family;
  return checked;
}

function readMembership(membership: unknown): boolean {
  if (membership !== 'join' && membership !== 'leave') throw invalidArgValue('membership', membership, "must be 'join' or 'leave'");
  return membership === 'join';
}

function readRecvOptions(options: unknown): Uint8Array | undefined {
  validateObject(options, 'options');
  const buffer = options.buffer;
  if (buffer !== undefined && !(buffer instanceof Uint8Array)) throw invalidArgType('options.buffer', 'a Uint8Array', buffer);
  if (buffer !== undefined && buffer.byteLength === 0) throw invalidArgValue('options.buffer', buffer, 'must not be empty');
  return buffer;
}

export class UDP extends handleClass(binding.UDP) implements UDPLike {
  [kUDP] = new UDPState();

  constructor(loop?: Loop, options: UDPOptions = {}) {
    validateObject(options, 'options');
    const { family, recvmmsg = binding.features.recvmmsg } = options;
    if (family !== undefined && family !== 'IPv4' && family !== 'IPv6') {
      throw invalidArgValue('options.family', family, "must be 'IPv4' or 'IPv6'");
    }
    validateBoolean(recvmmsg, 'options.recvmmsg');
    super(resolveLoop(loop), family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : 0, recvmmsg);
  }

  /** Binds to `addr` (port 0: any free port; see getsockname()). */
  bind(addr: AddressInput, options: UDPBindOptions = {}): void {
    const [address, port] = readAddress(addr);
    validateObject(options, 'options');
    const { reuseAddr = false, ipv6Only = false, reusePort = false } = options;
    validateBoolean(reuseAddr, 'options.reuseAddr');
    validateBoolean(ipv6Only, 'options.ipv6Only');
    validateBoolean(reusePort, 'options.reusePort');
    native.bind.call(this, address, port, reuseAddr, ipv6Only, reusePort);
  }

  /** Sets the default peer: send() may then omit the address, and only its datagrams arrive. */
  connect(addr: AddressInput): void {
    const [address, port] = readAddress(addr);
    native.connect.call(this, address, port);
  }

  override open(fd: number): void {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    super.open(fd);
  }

  /**
   * Calls `callback(null, data, addr, flags)` for each datagram (an empty one is an empty Buffer)
   * and `callback(error, null, null, 0)` when receiving fails (it goes on). Calling it again, or
   * startRecvBatch(), replaces the callback.
   */
  startRecv(callback: RecvCallback, options: RecvOptions = {}): void {
    validateFunction(callback, 'callback');
    const buffer = readRecvOptions(options);
    native.startRecv.call(this, buffer);
    const state = this[kUDP];
    state.onRecv = callback;
    state.onBatch = undefined;
    state.recvBuffer = buffer;
  }

  /**
   * Calls `callback(batch, null)` with the datagrams that arrived together (up to 64; recvmmsg
   * reads up to 20 per system call), one call instead of one per datagram.
   */
  startRecvBatch(callback: RecvBatchCallback, options: RecvOptions = {}): void {
    validateFunction(callback, 'callback');
    const buffer = readRecvOptions(options);
    native.startRecvBatch.call(this, buffer);
    const state = this[kUDP];
    state.onBatch = callback;
    state.onRecv = undefined;
    state.recvBuffer = buffer;
  }

  override stopRecv(): void {
    super.stopRecv();
    const state = this[kUDP];
    state.onRecv = undefined;
    state.onBatch = undefined;
    state.recvBuffer = undefined;
  }

  /**
   * Sends `data` as one datagram (zero-copy: do not change the bytes before the callback; an array
   * is gathered into one datagram) to `addr`, or to the connected peer when `addr` is omitted.
   * Throws when the send is refused outright (closed, an address on a connected socket, none on an
   * unconnected one); failures of the send itself (EMSGSIZE, ...) reach the callback or promise.
   */
  send(data: WriteData, addr: AddressInput | undefined, callback: StatusCallback): void;
  send(data: WriteData, callback: StatusCallback): void;
  send(data: WriteData, addr?: AddressInput): Promise<void>;
  send(data: WriteData, addrOrCallback?: AddressInput | StatusCallback, maybeCallback?: StatusCallback): void | Promise<void> {
    const [addr, callback] = typeof addrOrCallback === 'function' ? [undefined, addrOrCallback] : [addrOrCallback, maybeCallback];
    const bytes = toBytes(data);
    const target = sendAddress(addr);
    const out: { promise?: Promise<void> } = {};
    const done = completion(callback, out, this.loop, 'UVKIT_UDPSEND');
    native.send.call(this, bytes, ...target);
    this[kUDP].sends.push(done, bytes);
    return out.promise;
  }

  /** Sends now if the socket can take it without blocking; returns the bytes sent, 0 when it would block. */
  trySend(data: WriteData, addr?: AddressInput): number {
    return native.trySend.call(this, toBytes(data), ...sendAddress(addr));
  }

  /** Joins or leaves a multicast group, on `iface` (an interface's address) or one the system picks. */
  setMembership(group: string, membership: Membership, iface?: string): void {
    readIP(group, 'group');
    const join = readMembership(membership);
    if (iface !== undefined) readIP(iface, 'iface');
    native.setMembership.call(this, group, iface, join);
  }

  /** Joins or leaves a source-specific multicast group: only `source`'s datagrams to `group`. */
  setSourceMembership(group: string, source: string, membership: Membership, iface?: string): void {
    readIP(group, 'group');
    readIP(source, 'source');
    const join = readMembership(membership);
    if (iface !== undefined) readIP(iface, 'iface');
    native.setSourceMembership.call(this, group, iface, source, join);
  }

  /** The interface (its address) multicast datagrams go out of. */
  override setMulticastInterface(iface: string): void {
    readIP(iface, 'iface');
    super.setMulticastInterface(iface);
  }

  /** Hops multicast datagrams may take (0..255; 0 keeps them on this host). */
  override setMulticastTTL(ttl: number): void {
    validateInteger(ttl, 'ttl', 0, 255);
    super.setMulticastTTL(ttl);
  }

  /** Whether this host's own multicast datagrams come back to it. */
  override setMulticastLoop(enable: boolean): void {
    validateBoolean(enable, 'enable');
    super.setMulticastLoop(enable);
  }

  override setBroadcast(enable: boolean): void {
    validateBoolean(enable, 'enable');
    super.setBroadcast(enable);
  }

  /** IP time to live of unicast datagrams (1..255). */
  override setTTL(ttl: number): void {
    validateInteger(ttl, 'ttl', 1, 255);
    super.setTTL(ttl);
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
