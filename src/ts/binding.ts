/**
 * Loads the native addon (a prebuild for this platform, else the local build in build/Release)
 * and types the raw binding. When loading fails the error says why and what to do.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

// --- raw types: what src/native exports, nothing more ---

/**
 * A JS callback native code calls; the TS layer narrows its parameters. Declared through a method
 * signature so its parameters compare bivariantly (TypeScript's documented escape for callbacks).
 */
export type NativeCallback = { bivariant(...args: unknown[]): unknown }['bivariant'];

export interface NativeHandle {
  /** Idempotent. When the close completes, the registered 'close' callback runs with `this` = the
   * handle. The TS layer returns a promise instead, hence `unknown`. */
  close(): unknown;
  ref(): this;
  unref(): this;
  hasRef(): boolean;
  fileno(): number;
  readonly active: boolean;
  readonly closing: boolean;
  readonly closed: boolean;
}

export interface NativeLoop {
  /** Native takes the libuv number; the union lets the TS layer accept mode names. */
  run(mode?: number | 'default' | 'once' | 'nowait'): boolean;
  stop(): void;
  now(): number;
  updateTime(): void;
  readonly alive: boolean;
  readonly isDefault: boolean;
  readonly closed: boolean;
  readonly handles: NativeHandle[];
  backendFd(): number;
  backendTimeout(): number;
  close(): void;
  metrics(): { idleTime: number; loopCount?: number; events?: number; eventsWaiting?: number };
  /** Native takes `thread` (a helper thread instead of fd polling); the union lets the TS layer
   * accept its options object. */
  embed(thread?: boolean | { thread?: boolean }): void;
  unembed(): void;
  /** How the loop is embedded into Node's loop, or null. */
  readonly embedded: 'poll' | 'thread' | null;
  onError: ((error: unknown, handle: never) => void) | null;
  /** Routes an error as if a callback of this loop had thrown it (internal to the TS layer). */
  reportError(error: unknown, handle?: NativeHandle): void;
}

export interface NativeTimer extends NativeHandle {
  stop(): void;
  again(): void;
  repeat: number;
  readonly dueIn: number;
}

export interface NativeWatcher extends NativeHandle {
  stop(): void;
}

export interface NativeAsync extends NativeHandle {
  send(): void;
}

export interface NativeSignal extends NativeHandle {
  stop(): void;
  readonly signum: number;
}

/** Stream members the TS layer uses as they are; the others are in NativeStreamReplaced. */
export interface NativeStream extends NativeHandle {
  stopRead(): void;
  accept(client: NativeHandle): void;
  setBlocking(blocking: boolean): void;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly writeQueueSize: number;
}

export interface SocketAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export interface NativeTCP extends NativeStream {
  getsockname(): SocketAddress;
  getpeername(): SocketAddress;
  nodelay(enable: boolean): void;
  keepalive(enable: boolean, delay?: number): void;
  simultaneousAccepts(enable: boolean): void;
  open(fd: number): void;
  readonly family: 'IPv4' | 'IPv6';
  sendBufferSize: number;
  recvBufferSize: number;
}

export interface NativePipe extends NativeStream {
  open(fd: number): void;
  pendingInstances(count: number): void;
  /** uv_handle_type of the next received handle (constants.handleType), UNKNOWN_HANDLE when none. */
  pendingHandleType(): number;
  pendingCount(): number;
  getsockname(): string;
  getpeername(): string;
  readonly ipc: boolean;
}

export interface NativeTTY extends NativeStream {
  getWinsize(): { width: number; height: number };
}

export interface NativeUDP extends NativeHandle {
  disconnect(): void;
  getsockname(): SocketAddress;
  getpeername(): SocketAddress;
  open(fd: number): void;
  stopRecv(): void;
  setMulticastTTL(ttl: number): void;
  setMulticastLoop(enable: boolean): void;
  setMulticastInterface(iface: string): void;
  setBroadcast(enable: boolean): void;
  setTTL(ttl: number): void;
  readonly sendQueueSize: number;
  readonly sendQueueCount: number;
  /** Whether receiving uses recvmmsg. */
  readonly recvmmsg: boolean;
  sendBufferSize: number;
  recvBufferSize: number;
}

/** UDP methods the TS layer replaces. startRecv/startRecvBatch receive into the slab, or into
 * `buffer`; datagrams come through the 'recv' / 'recvBatch' callbacks; each send's completion
 * through the 'send' callback. send is zero-copy and keeps no reference to `data`: the caller
 * keeps it alive until that send's callback (the TS layer's FIFO does). */
export interface NativeUDPReplaced {
  bind(address: string, port: number, reuseAddr?: boolean, ipv6Only?: boolean, reusePort?: boolean): void;
  connect(address: string, port: number): void;
  startRecv(buffer?: Uint8Array): void;
  startRecvBatch(buffer?: Uint8Array): void;
  send(data: Uint8Array | Uint8Array[], address?: string, port?: number): void;
  trySend(data: Uint8Array | Uint8Array[], address?: string, port?: number): number;
  setMembership(group: string, iface: string | undefined, join: boolean): void;
  setSourceMembership(group: string, iface: string | undefined, source: string, join: boolean): void;
}

export interface NativeProcess extends NativeHandle {
  /** signum 0..NSIG-1 (0: alive check); ESRCH once the exit was reported. */
  kill(signum: number): void;
  readonly pid: number;
  /** Spawned through posix_spawn + pidfd rather than uv_spawn. */
  readonly fastPath: boolean;
  /** The exit was reported. */
  readonly exited: boolean;
}

export interface NativePoll extends NativeHandle {
  stop(): void;
}

export interface NativeFSEvent extends NativeHandle {
  stop(): void;
  /** The watched path, null when not started. */
  readonly path: string | null;
}

export interface NativeFSPoll extends NativeHandle {
  stop(): void;
  /** The watched path, null when not started. */
  readonly path: string | null;
}

export interface NativeFeatures {
  readonly uvVersion: string;
  readonly uvVersionHex: number;
  readonly metricsInfo: boolean;
  readonly pipeBind2: boolean;
  readonly pipeConnect2: boolean;
  readonly threadGetName: boolean;
  readonly udpTrySend2: boolean;
  readonly reusePort: boolean;
  readonly recvmmsg: boolean;
  readonly fsEventRecursive: boolean;
}

/** What util.cpuInfo() returns per CPU (uv_cpu_info). Times are milliseconds. */
export interface CpuInfo {
  model: string;
  /** MHz (0 where the system does not say). */
  speed: number;
  times: { user: number; nice: number; sys: number; idle: number; irq: number };
}

/** One address of a network interface (uv_interface_addresses). */
export interface InterfaceAddress {
  name: string;
  address: string;
  netmask: string;
  family: 'IPv4' | 'IPv6';
  /** The hardware address, 'aa:bb:cc:dd:ee:ff'. */
  mac: string;
  /** A loopback (or otherwise not remotely reachable) interface. */
  internal: boolean;
  /** IPv6 only. */
  scopeid?: number;
}

/** Resource usage of this process (uv_getrusage): CPU times in seconds, the rest as getrusage(2). */
export interface ResourceUsage {
  utime: number;
  stime: number;
  /** Kilobytes on Linux. */
  maxrss: number;
  ixrss: number;
  idrss: number;
  isrss: number;
  minflt: number;
  majflt: number;
  nswap: number;
  inblock: number;
  oublock: number;
  msgsnd: number;
  msgrcv: number;
  nsignals: number;
  nvcsw: number;
  nivcsw: number;
}

/** A user's account entry (uv_os_get_passwd). uid and gid are -1 and shell null on Windows. */
export interface Passwd {
  username: string;
  uid: number;
  gid: number;
  shell: string | null;
  homedir: string;
}

/** A group entry (uv_os_get_group). */
export interface Group {
  groupname: string;
  gid: number;
  members: string[];
}

/** The system's name (uv_os_uname). */
export interface Uname {
  sysname: string;
  release: string;
  version: string;
  machine: string;
}

/** One result of getaddrinfo: an address (as the socket functions take it) and how to use it. */
export interface AddrInfo extends SocketAddress {
  /** 'stream', 'dgram' or 'raw' (the platform's number for any other). */
  socktype: 'stream' | 'dgram' | 'raw' | number;
  /** The IP protocol number (6 TCP, 17 UDP; 0 where not given). */
  protocol: number;
  /** The canonical name of the host: on the first result only, with AI_CANONNAME. */
  canonname?: string;
}

/** What getnameinfo returns. */
export interface NameInfo {
  hostname: string;
  service: string;
}

/**
 * The raw DNS requests (src/native/dns.cc). Each returns the request's number; the result comes
 * through the 'requestDone' callback as (id, status, result | null) with `this` = the loop.
 */
export interface NativeDns {
  /** family 0, 4 or 6; socktype 0 (any), 1 stream, 2 dgram, 3 raw. */
  getaddrinfo(
    loop: NativeLoop,
    host: string | null,
    service: string | null,
    family: number,
    socktype: number,
    protocol: number,
    flags: number,
  ): number;
  getnameinfo(loop: NativeLoop, address: string, port: number, flags: number): number;
}

/**
 * Built-in thread-pool tasks (src/native/work.cc): queue(loop, task, ...args) returns the request's
 * number; the result comes through 'requestDone'. Tasks: 0 sleep(ms), 1 checksum(buffer, algorithm,
 * initial), 2 copy(target, source), 3 fill(buffer, value), 4 hashFile(fd, algorithm, offset,
 * length | -1); algorithm 0 crc32c, 1 crc32.
 */
export interface NativeWork {
  queue(loop: NativeLoop, task: number, ...args: unknown[]): number;
}

/** The raw util functions (src/native/util.cc); src/ts/util.ts checks arguments first. */
export interface NativeUtil {
  hrtime(): bigint;
  uptime(): number;
  loadavg(): [number, number, number];
  freeMemory(): number;
  totalMemory(): number;
  constrainedMemory(): number;
  availableMemory(): number;
  residentSetMemory(): number;
  availableParallelism(): number;
  threadPoolSize(): number;
  cpuInfo(): CpuInfo[];
  interfaceAddresses(): InterfaceAddress[];
  getrusage(): ResourceUsage;
  guessHandleType(fd: number): number;
  getProcessTitle(): string;
  setProcessTitle(title: string): void;
  getPriority(pid: number): number;
  setPriority(pid: number, priority: number): void;
  pid(): number;
  ppid(): number;
  exepath(): string;
  cwd(): string;
  chdir(path: string): void;
  homedir(): string;
  tmpdir(): string;
  hostname(): string;
  uname(): Uname;
  version(): string;
  getPasswd(uid?: number): Passwd;
  getGroup(gid: number): Group;
  getenv(name: string): string | undefined;
  setenv(name: string, value: string): void;
  unsetenv(name: string): void;
  environ(): Record<string, string>;
}

/** getaddrinfo's AI_* and getnameinfo's NI_* flags (AI_V4MAPPED and AI_ALL where the system has them). */
export interface NativeDnsConstants {
  readonly AI_PASSIVE: number;
  readonly AI_CANONNAME: number;
  readonly AI_NUMERICHOST: number;
  readonly AI_NUMERICSERV: number;
  readonly AI_ADDRCONFIG: number;
  readonly AI_V4MAPPED?: number;
  readonly AI_ALL?: number;
  readonly NI_NOFQDN: number;
  readonly NI_NUMERICHOST: number;
  readonly NI_NAMEREQD: number;
  readonly NI_NUMERICSERV: number;
  readonly NI_DGRAM: number;
}

export interface NativeConstants {
  readonly runMode: { readonly default: number; readonly once: number; readonly nowait: number };
  readonly handleType: Readonly<Record<string, number>>;
  readonly signals: Readonly<Record<string, number>>;
  readonly poll: { readonly READABLE: number; readonly WRITABLE: number; readonly DISCONNECT: number; readonly PRIORITIZED: number };
  readonly fsEvent: { readonly RENAME: number; readonly CHANGE: number };
  /** getaddrinfo's AI_* and getnameinfo's NI_* flags, the platform's numbers. */
  readonly dns: NativeDnsConstants;
}

type Ctor<T, A extends unknown[]> = new (...args: A) => T;

/**
 * A native class whose prototype also has methods the TS class replaces with another signature
 * (Timer#start takes the callback in TS, only times natively). Instances are typed without them;
 * the TS layer takes them once with {@link nativeMethods} and calls `nativeStart.call(this, ...)`.
 */
export interface NativeClass<T, A extends unknown[], Replaced> {
  new (...args: A): T;
  readonly prototype: T;
  /** Type-level only: the replaced methods' native signatures. */
  readonly __replaced?: Replaced;
}

/** The native signatures of the methods a TS class replaces (see {@link NativeClass}). */
export function nativeMethods<R>(cls: NativeClass<object, never[], R>): R {
  return cls.prototype as unknown as R;
}


/** Stream methods the TS layer replaces (it adds callbacks, promises and string handling).
 * startRead reads into the slab, or into `buffer`; completions come through the 'read' callback.
 * write returns 0 when everything went out at once, 1 when queued (a 'write' callback follows);
 * a queued write's `data` is not copied nor referenced: the caller keeps it until that callback. */
export interface NativeStreamReplaced {
  startRead(buffer?: Uint8Array): void;
  write(data: Uint8Array | Uint8Array[], sendHandle?: NativeStream): number;
  tryWrite(data: Uint8Array | Uint8Array[]): number;
  shutdown(): void;
  listen(backlog?: number): void;
}

export type CallbackName =
  | 'close'
  | 'timer'
  | 'prepare'
  | 'check'
  | 'idle'
  | 'async'
  | 'signal'
  | 'read'
  | 'write'
  | 'shutdown'
  | 'connect'
  | 'connection'
  | 'recv'
  | 'recvBatch'
  | 'send'
  | 'exit'
  | 'poll'
  | 'fsEvent'
  | 'fsPoll'
  | 'fsDone'
  | 'requestDone';

export type FsOpName =
  | 'open' | 'close' | 'read' | 'write' | 'stat' | 'lstat' | 'fstat' | 'statfs' | 'unlink' | 'mkdir'
  | 'mkdtemp' | 'mkstemp' | 'rmdir' | 'rename' | 'link' | 'symlink' | 'readlink' | 'realpath' | 'chmod'
  | 'fchmod' | 'chown' | 'fchown' | 'lchown' | 'utime' | 'futime' | 'lutime' | 'access' | 'fsync'
  | 'fdatasync' | 'ftruncate' | 'copyfile' | 'sendfile' | 'scandir' | 'opendir' | 'readdir' | 'closedir';

/** What native Process spawns from, after its loop (see src/native/process.h). */
export type NativeSpawnArgs = [
  file: string,
  argv: string[],
  env: string[] | undefined,
  cwd: string | undefined,
  stdioFlags: number[],
  stdioTargets: Array<number | NativeStream | undefined>,
  uid: number,
  gid: number,
  flags: number,
  fastPath?: boolean,
];

/**
 * The raw binding. Its handles reference their loop only natively: a private loop that JS no longer
 * references can never run again, so when it is collected it closes the handles still on it (the
 * TS classes keep `handle.loop`, so this only concerns direct users of the binding).
 */
export interface NativeBinding {
  init(options: { UVError: new (errno: number, syscall: string) => Error }): void;
  /** Registers the function native code calls (with `this` = the handle) for one kind of event. */
  setCallback(name: CallbackName, callback: NativeCallback): void;
  debugCounts(): { handles: number; uvHandles: number; loops: number; fsRequests: number; poolRequests: number };
  /** True when libuv took back the DNS lookup or queued work with this number (pool_request.h). */
  cancelRequest(id: number): boolean;
  /**
   * One fs operation (src/native/fs.cc). slot -1 runs it synchronously: the result is a number
   * (negative: a libuv error), or a string / [name, type, ...] list for the operations that make
   * one; numbers such as stat fields go to the array given to fsInit. slot >= 0 starts it on
   * `loop`: 0, or a negative error when libuv refused to start it; the completion comes through
   * the 'fsDone' callback as (count, records, extras) with `this` = the loop.
   */
  fsCall(op: number, slot: number, loop: NativeLoop | undefined, ...args: unknown[]): number | string | Array<string | number>;
  /** True when libuv took the request in `slot` back (it then completes with ECANCELED). */
  fsCancel(slot: number): boolean;
  fsInit(values: Float64Array): void;
  /** The slots of requests whose results were dropped (their loop was collected) since the last call. */
  fsTakeDropped(): number[];
  fsOps: Readonly<Record<FsOpName, number>>;
  /** Doubles per fs completion record (slot, result, then the values: src/native/fs.h). */
  fsRecordStride: number;
  /** Doubles per stat (src/native/stats.h). */
  statFields: number;
  fsConstants: Readonly<Record<string, number>>;
  Loop: Ctor<NativeLoop, [isDefault: boolean]>;
  Timer: NativeClass<NativeTimer, [loop: NativeLoop], { start(timeout: number, repeat?: number): void }>;
  Prepare: NativeClass<NativeWatcher, [loop: NativeLoop], { start(): void }>;
  Check: NativeClass<NativeWatcher, [loop: NativeLoop], { start(): void }>;
  Idle: NativeClass<NativeWatcher, [loop: NativeLoop], { start(): void }>;
  /** sender() returns this handle's registry id, which the TS layer wraps in a token. */
  Async: NativeClass<NativeAsync, [loop: NativeLoop], { sender(): number }>;
  asyncSend(id: number): boolean;
  Signal: NativeClass<NativeSignal, [loop: NativeLoop], { start(signum: number): void; startOneshot(signum: number): void }>;
  TCP: NativeClass<
    NativeTCP,
    [loop: NativeLoop, family?: number],
    {
      bind(address: string, port: number, ipv6Only?: boolean, reusePort?: boolean): void;
      connect(address: string, port: number): void;
      closeReset(): void;
    } & NativeStreamReplaced
  >;
  Pipe: NativeClass<
    NativePipe,
    [loop: NativeLoop, ipc?: boolean],
    { bind(name: string): void; connect(name: string): void; chmod(mode: number): void } & NativeStreamReplaced
  >;
  TTY: NativeClass<NativeTTY, [loop: NativeLoop, fd: number, readable?: boolean], { setMode(mode: number): void } & NativeStreamReplaced> & {
    resetMode(): void;
  };
  UDP: NativeClass<NativeUDP, [loop: NativeLoop, family?: number, recvmmsg?: boolean], NativeUDPReplaced>;
  /** Spawns in the constructor (throws a UVError with syscall 'spawn' when it cannot); the exit
   * comes through the 'exit' callback as (status, signal). */
  Process: NativeClass<NativeProcess, [loop: NativeLoop, ...args: NativeSpawnArgs], object> & {
    kill(pid: number, signum: number): void;
    disableStdioInheritance(): void;
  };
  /** Watches a duplicate of `fd`; events come through the 'poll' callback as (status, events). */
  Poll: NativeClass<NativePoll, [loop: NativeLoop, fd: number], { start(events: number): void }>;
  /** Changes come through the 'fsEvent' callback as (status, filename | null, events). */
  FSEvent: NativeClass<NativeFSEvent, [loop: NativeLoop], { start(path: string, recursive?: boolean): void }>;
  /** Changes come through the 'fsPoll' callback as (status, values): the previous then the current
   * stat, 14 numbers each (src/native/stats.h). */
  FSPoll: NativeClass<NativeFSPoll, [loop: NativeLoop], { start(path: string, interval: number): void }>;
  features: NativeFeatures;
  errname(errno: number): string;
  strerror(errno: number): string;
  codes: Readonly<Record<string, number>>;
  constants: NativeConstants;
  util: NativeUtil;
  dns: NativeDns;
  work: NativeWork;
  /** An External pointing at the C ABI table (include/uvkit.h), for other native addons. */
  nativeAbi: object;
}

// --- loading ---

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('uvkit: cannot find its package.json');
    dir = parent;
  }
  return dir;
}

function explain(root: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const target = `${process.platform}-${process.arch}`;
  const hints: string[] = [];
  if (process.execArgv.includes('--no-addons') || (process.env.NODE_OPTIONS ?? '').includes('--no-addons')) {
    hints.push('Node runs with --no-addons, which forbids native addons: remove that flag to use uvkit.');
  } else if (!existsSync(path.join(root, 'prebuilds', target)) && !existsSync(path.join(root, 'build', 'Release'))) {
    hints.push(
      `There is no prebuilt binary for ${target} and no local build.`,
      'Build from source with `npm rebuild uvkit` (needs python3, make and a C++17 compiler),',
      'or install on a platform with a prebuild.',
    );
  } else {
    hints.push(
      'A binary was found but could not be loaded (for example built for another Node or libc).',
      'Rebuild it for this Node with `npm rebuild uvkit`.',
    );
  }
  return new Error(`uvkit: the native addon could not be loaded: ${reason}\n  ${hints.join('\n  ')}`, { cause });
}

function load(): NativeBinding {
  const root = packageRoot();
  try {
    // UVKIT_BINDING points at another build of the addon (the sanitizer build in build-cmake/).
    const override = process.env.UVKIT_BINDING;
    if (override) return require(path.resolve(override)) as NativeBinding;
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(root) as NativeBinding;
  } catch (cause) {
    throw explain(root, cause);
  }
}

export const binding: NativeBinding = load();
