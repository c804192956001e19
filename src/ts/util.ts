/**
 * System utilities: libuv's view of the machine and of this process (uv_os_*, memory, CPUs,
 * network interfaces, resource usage), the process title, priority, environment and working
 * directory. Failures throw a UVError whose `syscall` names the libuv function.
 */
import {
  binding,
  type CpuInfo,
  type Group,
  type InterfaceAddress,
  type Passwd,
  type ResourceUsage,
  type Uname,
} from './binding.js';
import { UVError, invalidArgValue } from './errors.js';
import { validateInteger, validatePath } from './validate.js';

export type { CpuInfo, Group, InterfaceAddress, Passwd, ResourceUsage, Uname };

const native = binding.util;

/** Nice values: -20 (highest priority) to 19 (lowest), as uv_os_setpriority takes them. */
const PRIORITY_HIGHEST = -20;
const PRIORITY_LOW = 19;
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

function validateEnvName(name: unknown): asserts name is string {
  validatePath(name, 'name');
  if (name === '' || name.includes('=')) throw invalidArgValue('name', name, "must be a non-empty string without '='");
}

function validatePid(pid: unknown): asserts pid is number {
  validateInteger(pid, 'pid', -INT32_MAX - 1, INT32_MAX);
}

const api = {
  /** A monotonic clock in nanoseconds (uv_hrtime), from an arbitrary point in the past. */
  hrtime(): bigint {
    return native.hrtime();
  },
  /** Seconds since the system booted. */
  uptime(): number {
    return native.uptime();
  },
  /** The 1, 5 and 15 minute load averages ([0, 0, 0] on Windows). */
  loadavg(): [number, number, number] {
    return native.loadavg();
  },
  /** Free system memory in bytes. */
  freeMemory(): number {
    return native.freeMemory();
  },
  /** Total system memory in bytes. */
  totalMemory(): number {
    return native.totalMemory();
  },
  /**
   * The memory limit of this process set by the OS (a cgroup), in bytes: 0 when unknown. Where no
   * limit is set libuv 1.46 reports 2^64-1 (as `process.constrainedMemory()` does on Node 20).
   */
  constrainedMemory(): number {
    return native.constrainedMemory();
  },
  /** Memory this process may still take: the free memory, or what the constraint leaves. */
  availableMemory(): number {
    return native.availableMemory();
  },
  /** This process's resident set size in bytes. */
  residentSetMemory(): number {
    return native.residentSetMemory();
  },
  /** How many threads could run in parallel: a safe default for a worker count (at least 1). */
  availableParallelism(): number {
    return native.availableParallelism();
  },
  /**
   * The number of threads in libuv's pool (fs, dns and queued work share it): what libuv read from
   * UV_THREADPOOL_SIZE when the pool started (default 4, 1..1024). Set that variable before Node
   * starts to change it.
   */
  threadPoolSize(): number {
    return native.threadPoolSize();
  },
  /** One entry per logical CPU: model, speed in MHz, times in ms. */
  cpuInfo(): CpuInfo[] {
    return native.cpuInfo();
  },
  /** Every IPv4 and IPv6 address of every network interface, loopback included. */
  interfaceAddresses(): InterfaceAddress[] {
    return native.interfaceAddresses();
  },
  /** Resource usage of this process (getrusage(2)); CPU times in seconds. */
  getrusage(): ResourceUsage {
    return native.getrusage();
  },
  /**
   * What kind of handle `fd` would make (`constants.handleType`: TCP, UDP, NAMED_PIPE, TTY, FILE,
   * or UNKNOWN_HANDLE): what to construct for an inherited fd.
   */
  guessHandleType(fd: number): number {
    validateInteger(fd, 'fd', 0, INT32_MAX);
    return native.guessHandleType(fd);
  },
  /** The process title (what `ps` shows); Node's `process.title` reads and writes the same. */
  get processTitle(): string {
    return native.getProcessTitle();
  },
  set processTitle(title: string) {
    validatePath(title, 'title');
    native.setProcessTitle(title);
  },
  /** The nice value (-20..19) of process `pid` (0: this process). */
  getPriority(pid = 0): number {
    validatePid(pid);
    return native.getPriority(pid);
  },
  /**
   * Sets the nice value of process `pid` (0: this process): `setPriority(priority)` or
   * `setPriority(pid, priority)`, as Node's os.setPriority. Raising priority (a lower value) needs
   * privileges: UVError EACCES otherwise.
   */
  setPriority(pidOrPriority: number, priority?: number): void {
    const pid = priority === undefined ? 0 : pidOrPriority;
    const value = priority === undefined ? pidOrPriority : priority;
    validatePid(pid);
    validateInteger(value, 'priority', PRIORITY_HIGHEST, PRIORITY_LOW);
    native.setPriority(pid, value);
  },
  /** This process's id. */
  pid(): number {
    return native.pid();
  },
  /** The parent process's id. */
  ppid(): number {
    return native.ppid();
  },
  /** The absolute path of the running executable (the node binary). */
  exepath(): string {
    return native.exepath();
  },
  /** The current working directory. */
  cwd(): string {
    return native.cwd();
  },
  /**
   * Changes the working directory of the process. Main thread only (ERR_WORKER_UNSUPPORTED_OPERATION
   * in a worker, as process.chdir()): the cwd is process-wide and Node's workers treat it as fixed.
   * Node's cached `process.cwd()` is updated too.
   */
  chdir(path: string): void {
    validatePath(path, 'path');
    try {
      native.chdir(path);
    } catch (error) {
      throw error instanceof UVError ? new UVError(error.errno, error.syscall, { path }) : error;
    }
    // Node caches process.cwd() and refreshes it only in process.chdir(): hand it the new absolute
    // directory (a relative path would be applied twice).
    process.chdir(native.cwd());
  },
  /** The user's home directory ($HOME first, then the passwd entry). */
  homedir(): string {
    return native.homedir();
  },
  /** The temporary directory ($TMPDIR, $TMP, $TEMP, $TEMPDIR, else /tmp). */
  tmpdir(): string {
    return native.tmpdir();
  },
  /** The host name. */
  hostname(): string {
    return native.hostname();
  },
  /** The operating system's name, release, version and machine (uname(2)). */
  uname(): Uname {
    return native.uname();
  },
  /** The version of the running libuv (Node's own), e.g. '1.46.0'. */
  version(): string {
    return native.version();
  },
  /** The account entry of the effective user, or of user `uid`: UVError ENOENT when none. */
  getPasswd(uid?: number): Passwd {
    if (uid === undefined) return native.getPasswd();
    validateInteger(uid, 'uid', 0, UINT32_MAX);
    return native.getPasswd(uid);
  },
  /** The group entry of group `gid`, with its members: UVError ENOENT when none. */
  getGroup(gid: number): Group {
    validateInteger(gid, 'gid', 0, UINT32_MAX);
    return native.getGroup(gid);
  },
  /** The value of environment variable `name`, or undefined when it is not set. */
  getenv(name: string): string | undefined {
    validateEnvName(name);
    return native.getenv(name);
  },
  /**
   * Sets environment variable `name` for this process and the children it spawns afterwards (seen
   * by `process.env` too). Main thread only: ERR_WORKER_UNSUPPORTED_OPERATION in a worker, whose
   * `process.env` is its own copy and whose change would race the main thread's reads.
   */
  setenv(name: string, value: string): void {
    validateEnvName(name);
    validatePath(value, 'value');
    native.setenv(name, value);
  },
  /** Removes environment variable `name` (no error when it is not set). Main thread only, as setenv. */
  unsetenv(name: string): void {
    validateEnvName(name);
    native.unsetenv(name);
  },
  /** A copy of the whole environment as an object. */
  environ(): Record<string, string> {
    return native.environ();
  },
};

/** The `util` object: frozen; `processTitle` is its one writable member (an accessor). */
export type Util = { readonly [K in Exclude<keyof typeof api, 'processTitle'>]: (typeof api)[K] } & { processTitle: string };

export const util: Util = Object.freeze(api);
