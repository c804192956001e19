/**
 * Process: spawn a child with full stdio control and signal it. On Linux the spawn goes through
 * posix_spawn and the exit is watched through a pidfd, so its cost does not grow with the parent's
 * memory (Node 20's libuv forks); what posix_spawn cannot express (uid/gid) goes through libuv's
 * uv_spawn. Both give the same observable behaviour; `fastPath` tells which one a child took.
 */
import { binding, type NativeSpawnArgs, type NativeStream } from './binding.js';
import { illegalConstructor, invalidArgType, invalidArgValue, UVError } from './errors.js';
// kClosed is named in the emitted declarations of the handle mixin.
import { handleClass, resolveLoop, type kClosed } from './handle.js';
import { Loop } from './loop.js';
import { Pipe } from './pipe.js';
import { signalNumber, type SignalName } from './signal.js';
import type { Stream } from './stream.js';
import { TCP } from './tcp.js';
import { TTY } from './tty.js';
import { validateBoolean, validateFunction, validateInteger, validateObject } from './validate.js';

// libuv's uv_stdio_flags and uv_process_flags (the same numbers on every platform).
const UV_IGNORE = 0x00;
const UV_CREATE_PIPE = 0x01;
const UV_INHERIT_FD = 0x02;
const UV_INHERIT_STREAM = 0x04;
const UV_READABLE_PIPE = 0x10;
const UV_WRITABLE_PIPE = 0x20;
const UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS = 1 << 2;
const UV_PROCESS_DETACHED = 1 << 3;
const UV_PROCESS_WINDOWS_HIDE = 1 << 4;
const MAX_ID = 0xfffffffe; // uid_t / gid_t (all ones means "unchanged")

/**
 * One stdio entry of the child (index 0 is its stdin, 1 stdout, 2 stderr, then fd 3, 4, ...):
 * - `'ignore'`: nothing there (stdin, stdout and stderr go to /dev/null);
 * - `'inherit'`: the parent's fd of the same number;
 * - `{ pipe, readable?, writable? }`: a new socketpair; `pipe` (a new, unopened Pipe of the
 *   process's loop; `new Pipe(loop, { ipc: true })` for an IPC channel) gets the parent's end.
 *   `readable` / `writable` are from the child's side; when neither is given, stdin is readable,
 *   stdout and stderr writable, and fds from 3 on both;
 * - `{ fd }`: the parent's fd `fd`;
 * - `{ stream }`: the fd of an open TCP, Pipe or TTY.
 */
export type StdioEntry =
  | 'ignore'
  | 'inherit'
  | { pipe: Pipe; readable?: boolean; writable?: boolean }
  | { fd: number }
  | { stream: Stream };

export interface ProcessOptions {
  /** The program: a path, or a name looked up on PATH (the child's PATH when `env` is given). */
  file: string;
  /** Arguments after argv[0] (as in Node's spawn). */
  args?: readonly string[];
  /** argv[0] of the child (default: `file`). */
  argv0?: string;
  /** The child's whole environment (it replaces the parent's; default: the parent's). */
  env?: Readonly<Record<string, string>>;
  /** The child's working directory (default: the parent's). */
  cwd?: string;
  /** The child's stdio, one entry per fd (default: all three 'ignore'). */
  stdio?: readonly StdioEntry[];
  /** Run the child as this user (setuid; needs privileges). Always spawned through uv_spawn. */
  uid?: number;
  /** Run the child with this group (setgid, after dropping supplementary groups). Always through uv_spawn. */
  gid?: number;
  /** Start the child in a new session (setsid), so it can outlive the parent; with unref() the loop need not wait for it. */
  detached?: boolean;
  /** Windows: no console window for the child. No effect elsewhere. */
  windowsHide?: boolean;
  /** Windows: pass the arguments without quoting. No effect elsewhere. */
  windowsVerbatimArguments?: boolean;
  /** Called once when the child exits: its exit status and the signal that ended it (0 if none). */
  onExit?: (this: Process, status: number, signal: number) => void;
  /**
   * Use the posix_spawn + pidfd path where the options allow it (Linux; default true). false
   * forces libuv's uv_spawn.
   */
  fastPath?: boolean;
}

const kSpawn: unique symbol = Symbol('uvkit.spawn');
const { kill: nativeKill, disableStdioInheritance: nativeDisableStdioInheritance } = binding.Process;

function validateCString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must not contain NUL bytes');
}

function argvOf(options: ProcessOptions): string[] {
  const { file, args = [], argv0 = file } = options;
  validateCString(argv0, 'options.argv0');
  if (!Array.isArray(args)) throw invalidArgType('options.args', 'an array of strings', args);
  const argv = [argv0];
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i]; // a hole reads as undefined and is refused
    validateCString(arg, `options.args[${i}]`);
    argv.push(arg);
  }
  return argv;
}

function envOf(env: unknown): string[] | undefined {
  if (env === undefined) return undefined;
  validateObject(env, 'options.env');
  const list: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (key.length === 0 || key.includes('=') || key.includes('\0')) {
      throw invalidArgValue('options.env', key, 'must have names that are not empty and hold no "=" or NUL');
    }
    validateCString(value, `options.env.${key}`);
    list.push(`${key}=${value}`);
  }
  return list;
}

function isStream(value: unknown): value is Stream & NativeStream {
  return value instanceof TCP || value instanceof Pipe || value instanceof TTY;
}

function hasKey(entry: object, key: string): boolean {
  return (entry as Record<string, unknown>)[key] !== undefined;
}

/** The stdio entries as libuv containers: flags and targets (fd, stream or nothing). */
function stdioOf(stdio: unknown, loop: Loop): { flags: number[]; targets: Array<number | NativeStream | undefined> } {
  const flags: number[] = [];
  const targets: Array<number | NativeStream | undefined> = [];
  if (stdio === undefined) return { flags, targets };
  if (!Array.isArray(stdio)) throw invalidArgType('options.stdio', 'an array', stdio);
  const pipes = new Set<Pipe>();
  for (let i = 0; i < stdio.length; i++) {
    const entry: unknown = stdio[i];
    const name = `options.stdio[${i}]`;
    if (entry === 'ignore') {
      flags.push(UV_IGNORE);
      targets.push(undefined);
      continue;
    }
    if (entry === 'inherit') {
      flags.push(UV_INHERIT_FD);
      targets.push(i);
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw invalidArgValue(name, entry, "must be 'ignore', 'inherit', { pipe }, { fd } or { stream }");
    }
    const kinds = ['pipe', 'fd', 'stream'].filter((key) => hasKey(entry, key));
    if (kinds.length !== 1) throw invalidArgValue(name, entry, 'must have exactly one of pipe, fd and stream');
    const { readable, writable } = entry as { readable?: unknown; writable?: unknown };
    if (kinds[0] !== 'pipe' && (readable !== undefined || writable !== undefined)) {
      throw invalidArgValue(name, entry, 'may have readable / writable only with a pipe');
    }
    if (kinds[0] === 'fd') {
      const { fd } = entry as { fd: unknown };
      validateInteger(fd, `${name}.fd`, 0, 2 ** 31 - 1);
      flags.push(UV_INHERIT_FD);
      targets.push(fd);
    } else if (kinds[0] === 'stream') {
      const { stream } = entry as { stream: unknown };
      if (!isStream(stream)) throw invalidArgType(`${name}.stream`, 'a TCP, Pipe or TTY handle', stream);
      if (stream.closing || stream.closed) throw invalidArgValue(name, entry, 'is a closed handle');
      flags.push(UV_INHERIT_STREAM);
      targets.push(stream);
    } else {
      const { pipe } = entry as { pipe: unknown };
      if (!(pipe instanceof Pipe)) throw invalidArgType(`${name}.pipe`, 'a Pipe', pipe);
      if (pipe.closing || pipe.closed) throw invalidArgValue(name, entry, 'is a closed handle');
      if (pipe.loop !== loop) throw invalidArgValue(name, entry, "must be a Pipe of the process's loop");
      if (pipes.has(pipe)) throw invalidArgValue(name, entry, 'is a Pipe already given for another stdio entry');
      pipes.add(pipe);
      if (readable !== undefined) validateBoolean(readable, `${name}.readable`);
      if (writable !== undefined) validateBoolean(writable, `${name}.writable`);
      const byDefault = readable === undefined && writable === undefined;
      const childReads = byDefault ? i !== 1 && i !== 2 : readable === true;
      const childWrites = byDefault ? i !== 0 : writable === true;
      flags.push(UV_CREATE_PIPE | (childReads ? UV_READABLE_PIPE : 0) | (childWrites ? UV_WRITABLE_PIPE : 0));
      targets.push(pipe as unknown as NativeStream);
    }
  }
  return { flags, targets };
}

function idOf(value: unknown, name: string): number {
  if (value === undefined) return -1;
  validateInteger(value, name, 0, MAX_ID);
  return value;
}

function flagOf(value: unknown, name: string, flag: number): number {
  if (value === undefined) return 0;
  validateBoolean(value, name);
  return value ? flag : 0;
}

/** Every option checked and converted, before anything is spawned. */
function nativeArgs(loop: Loop, options: ProcessOptions): NativeSpawnArgs {
  validateObject(options, 'options');
  const { file, env, cwd, stdio, uid, gid, detached, windowsHide, windowsVerbatimArguments, onExit, fastPath = true } = options;
  validateCString(file, 'options.file');
  if (file.length === 0) throw invalidArgValue('options.file', file, 'must not be empty');
  const argv = argvOf(options);
  const envList = envOf(env);
  if (cwd !== undefined) validateCString(cwd, 'options.cwd');
  const { flags: stdioFlags, targets } = stdioOf(stdio, loop);
  const flags =
    flagOf(detached, 'options.detached', UV_PROCESS_DETACHED) |
    flagOf(windowsHide, 'options.windowsHide', UV_PROCESS_WINDOWS_HIDE) |
    flagOf(windowsVerbatimArguments, 'options.windowsVerbatimArguments', UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS);
  if (onExit !== undefined) validateFunction(onExit, 'options.onExit');
  validateBoolean(fastPath, 'options.fastPath');
  return [file, argv, envList, cwd, stdioFlags, targets, idOf(uid, 'options.uid'), idOf(gid, 'options.gid'), flags, fastPath];
}

/** A signal for kill(): a name, or a number from 0 (0 only checks that the process exists). */
function killSignal(signal: unknown): number {
  if (signal === 0) return 0;
  return signalNumber(signal, 'signal');
}

export class Process extends handleClass(binding.Process) {
  #onExit: ((this: Process, status: number, signal: number) => void) | undefined = undefined;

  static {
    binding.setCallback('exit', function (this: Process, status: unknown, signal: unknown) {
      if (!(#onExit in this)) return;
      const onExit = this.#onExit;
      this.#onExit = undefined;
      onExit?.call(this, status as number, signal as number);
    });
  }

  /** Not for direct use: see {@link Process.spawn}. */
  constructor(loop: Loop, args: NativeSpawnArgs, token: typeof kSpawn) {
    if (token !== kSpawn) throw illegalConstructor();
    super(loop, ...args);
  }

  /**
   * Starts a child process; throws a UVError when it cannot be started (ENOENT for a missing file,
   * EACCES, ...), leaving no handle open. The handle is active until the child exits (onExit), and
   * may be closed then. Closing it earlier means no onExit; the child is still waited for when it
   * exits (native reaper), so it leaves no zombie.
   */
  static spawn(options: ProcessOptions): Process;
  static spawn(loop: Loop | undefined, options: ProcessOptions): Process;
  static spawn(loopOrOptions: Loop | ProcessOptions | undefined, maybeOptions?: ProcessOptions): Process {
    // spawn(options) or spawn(loop, options); with two arguments the first must be a loop.
    const optionsOnly = maybeOptions === undefined && loopOrOptions !== undefined && !(loopOrOptions instanceof Loop);
    const loop = resolveLoop(optionsOnly ? undefined : loopOrOptions);
    const options = optionsOnly ? loopOrOptions : maybeOptions;
    const args = nativeArgs(loop, options as ProcessOptions);
    let child: Process;
    try {
      child = new Process(loop, args, kSpawn);
    } catch (error) {
      // Native code knows the errno; the file name makes the message useful.
      if (error instanceof UVError && error.syscall === 'spawn') throw new UVError(error.errno, 'spawn', { path: args[0] });
      throw error;
    }
    child.#onExit = (options as ProcessOptions).onExit;
    return child;
  }

  /** Sends `signal` (a name or number; 0 checks that the child is alive). ESRCH once it has exited. */
  override kill(signal: SignalName = 'SIGTERM'): void {
    super.kill(killSignal(signal));
  }

  /** Sends `signal` to any process (or process group, with a negative pid). */
  static override kill(pid: number, signal: SignalName = 'SIGTERM'): void {
    validateInteger(pid, 'pid', -(2 ** 31), 2 ** 31 - 1);
    nativeKill(pid, killSignal(signal));
  }

  /**
   * Marks the parent's inherited fds close-on-exec, so children get only what stdio gives them.
   * Call it early, before other threads spawn anything.
   */
  static override disableStdioInheritance(): void {
    nativeDisableStdioInheritance();
  }
}
