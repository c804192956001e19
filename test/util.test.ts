// util: libuv's system queries against what Node reports through its own (libuv-backed) APIs, and
// the process-wide setters (title, priority, environment, cwd) with their worker-thread refusals.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, realpathSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { UDP, constants, util } from '../src/ts/index.js';
import { expectError, expectUVError } from './helpers/assert.js';
import { checkDistFresh, root } from './helpers/child.js';

const handleType = constants.handleType;
const FREE_UID = 3_999_999_999; // no account has it

function burnCpu(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) Math.sqrt(Math.random());
}

/** Runs `source` (an ES module body that may import `util`) in a worker; resolves with what it posts. */
function inWorker(source: string): Promise<unknown> {
  checkDistFresh();
  const url = new URL('dist/index.js', `file://${root}/`).href;
  const code = `import { parentPort } from 'node:worker_threads';
import { util } from ${JSON.stringify(url)};
const result = {};
const codeOf = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.code; } };
${source}
parentPort.postMessage(result);`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
    let message: unknown;
    worker.on('message', (m: unknown) => (message = m));
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve(message) : reject(new Error(`worker exit code ${code}`))));
  });
}

describe('time, load and memory', () => {
  it('hrtime is the monotonic clock of process.hrtime, in nanoseconds as a bigint', () => {
    const before = process.hrtime.bigint();
    const t = util.hrtime();
    const after = process.hrtime.bigint();
    expect(typeof t).toBe('bigint');
    expect(t >= before && t <= after).toBe(true);
    expect(util.hrtime() >= t).toBe(true);
  });

  it('uptime and loadavg match os', () => {
    expect(Math.abs(util.uptime() - os.uptime())).toBeLessThan(2);
    const load = util.loadavg();
    expect(load).toHaveLength(3);
    for (const value of load) expect(value).toBeGreaterThanOrEqual(0);
  });

  it('memory figures match os and process', () => {
    expect(util.totalMemory()).toBe(os.totalmem());
    const free = util.freeMemory();
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(util.totalMemory());
    expect(util.availableMemory()).toBeGreaterThan(0);
    expect(util.constrainedMemory()).toBe(process.constrainedMemory());
    const rss = util.residentSetMemory();
    const nodeRss = process.memoryUsage.rss();
    expect(rss).toBeGreaterThan(nodeRss / 2);
    expect(rss).toBeLessThan(nodeRss * 2);
  });

  it('availableParallelism and cpuInfo match os', () => {
    expect(util.availableParallelism()).toBe(os.availableParallelism());
    const cpus = util.cpuInfo();
    expect(cpus.map((c) => c.model)).toEqual(os.cpus().map((c) => c.model));
    for (const cpu of cpus) {
      expect(Object.keys(cpu.times).sort()).toEqual(['idle', 'irq', 'nice', 'sys', 'user']);
      expect(cpu.times.user + cpu.times.sys + cpu.times.idle).toBeGreaterThan(0);
    }
  });
});

describe('interfaces and resource usage', () => {
  it('interfaceAddresses lists what os.networkInterfaces does, loopback included', () => {
    const ours = util.interfaceAddresses();
    const lo = ours.find((a) => a.address === '127.0.0.1');
    expect(lo).toMatchObject({ family: 'IPv4', netmask: '255.0.0.0', internal: true, mac: '00:00:00:00:00:00' });
    const node = Object.entries(os.networkInterfaces()).flatMap(([name, list]) =>
      (list ?? []).map((a) => `${name} ${a.address} ${a.netmask} ${a.family} ${a.mac} ${a.internal}`),
    );
    expect(ours.map((a) => `${a.name} ${a.address} ${a.netmask} ${a.family} ${a.mac} ${a.internal}`).sort()).toEqual(node.sort());
    for (const a of ours) expect(a.family === 'IPv6' ? typeof a.scopeid : a.scopeid).toBe(a.family === 'IPv6' ? 'number' : undefined);
  });

  it('getrusage counts this process: CPU time grows with work, fields as getrusage(2)', () => {
    const before = util.getrusage();
    burnCpu(60);
    const nodeBefore = process.resourceUsage().maxRSS;
    const after = util.getrusage();
    const nodeAfter = process.resourceUsage().maxRSS; // the peak only grows: ours lies in between
    expect(after.utime + after.stime).toBeGreaterThan(before.utime + before.stime);
    expect(after.maxrss).toBeGreaterThanOrEqual(nodeBefore);
    expect(after.maxrss).toBeLessThanOrEqual(nodeAfter);
    expect(Object.keys(after)).toHaveLength(16);
  });

  it('guessHandleType tells a file, a TCP socket, a UDP socket, a pipe and a closed fd apart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uvkit-util-'));
    const file = openSync(path.join(dir, 'f'), 'w');
    const tcp = net.createServer();
    const unix = net.createServer();
    const udp = new UDP();
    try {
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => unix.listen(path.join(dir, 'sock'), resolve));
      udp.bind({ address: '127.0.0.1', port: 0 });
      const fdOf = (o: unknown): number => (o as { _handle: { fd: number } })._handle.fd;
      expect(util.guessHandleType(file)).toBe(handleType.FILE);
      expect(util.guessHandleType(fdOf(tcp))).toBe(handleType.TCP);
      expect(util.guessHandleType(fdOf(unix))).toBe(handleType.NAMED_PIPE);
      expect(util.guessHandleType(udp.fileno())).toBe(handleType.UDP);
    } finally {
      closeSync(file);
      tcp.close();
      unix.close();
      await udp.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(util.guessHandleType(file)).toBe(handleType.UNKNOWN_HANDLE); // closed now
  });
});

describe('the process', () => {
  it('pid, ppid, exepath, cwd and version match process', () => {
    expect(util.pid()).toBe(process.pid);
    expect(util.ppid()).toBe(process.ppid);
    expect(util.exepath()).toBe(process.execPath);
    expect(util.cwd()).toBe(process.cwd());
    expect(util.version()).toBe(process.versions.uv);
  });

  it('processTitle reads and writes the title process.title shows', () => {
    const original = process.title;
    try {
      expect(util.processTitle).toBe(original);
      util.processTitle = 'uvkit-util-title';
      expect(process.title).toBe('uvkit-util-title');
      process.title = 'uvkit-util-other';
      expect(util.processTitle).toBe('uvkit-util-other');
    } finally {
      process.title = original;
    }
  });

  it('getPriority and setPriority: this process (0) and another one, as os sees them', async () => {
    expect(util.getPriority()).toBe(os.getPriority());
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const pid = child.pid!;
      expect(util.getPriority(pid)).toBe(os.getPriority(pid));
      util.setPriority(pid, 15);
      expect(os.getPriority(pid)).toBe(15);
      expect(util.getPriority(pid)).toBe(15);
    } finally {
      child.kill('SIGKILL');
    }
    // The one-argument form is this process: run in a child, the test runner keeps its own.
    const script = `import { util } from './dist/index.js'; import os from 'node:os';
util.setPriority(7); console.log(os.getPriority(), util.getPriority(0));`;
    checkDistFresh();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('7 7');
  });

  it('priority errors: a pid no process has (ESRCH), out-of-range values and wrong types', () => {
    expectUVError(() => util.getPriority(2 ** 31 - 1), 'ESRCH', 'uv_os_getpriority');
    expectUVError(() => util.setPriority(2 ** 31 - 1, 5), 'ESRCH', 'uv_os_setpriority');
    expectError(() => util.setPriority(20), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => util.setPriority(0, -21), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => util.setPriority(0, 1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => util.getPriority(2 ** 31), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => util.getPriority('1' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => util.setPriority(Number.NaN), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('chdir changes the cwd process.cwd() reports (relative paths too), and names the path it cannot enter', () => {
    const original = process.cwd();
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'uvkit-cwd-')));
    try {
      util.chdir(dir);
      expect(util.cwd()).toBe(dir);
      expect(process.cwd()).toBe(dir);
      util.chdir('..');
      expect(process.cwd()).toBe(path.dirname(dir));
      expect(util.cwd()).toBe(path.dirname(dir));
      const error = expectUVError(() => util.chdir(path.join(dir, 'missing')), 'ENOENT', 'uv_chdir');
      expect(error.path).toBe(path.join(dir, 'missing'));
      expect(process.cwd()).toBe(path.dirname(dir));
    } finally {
      process.chdir(original);
      rmSync(dir, { recursive: true, force: true });
    }
    expectError(() => util.chdir('a\0b'), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectError(() => util.chdir(1 as unknown as string), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('homedir, tmpdir, hostname and uname match os', () => {
    expect(util.homedir()).toBe(os.homedir());
    expect(util.tmpdir()).toBe(os.tmpdir());
    expect(util.hostname()).toBe(os.hostname());
    expect(util.uname()).toEqual({ sysname: os.type(), release: os.release(), version: os.version(), machine: os.machine() });
  });
});

describe('users and groups', () => {
  it('getPasswd() is the effective user os.userInfo() describes; getPasswd(uid) any user', () => {
    const info = os.userInfo();
    expect(util.getPasswd()).toEqual({ username: info.username, uid: info.uid, gid: info.gid, shell: info.shell, homedir: info.homedir });
    expect(util.getPasswd(0)).toMatchObject({ username: 'root', uid: 0, gid: 0 });
    expectUVError(() => util.getPasswd(FREE_UID), 'ENOENT', 'uv_os_get_passwd2');
    expectError(() => util.getPasswd(-1), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('getGroup(gid) names the group and its members', () => {
    expect(util.getGroup(0)).toMatchObject({ groupname: 'root', gid: 0 });
    expect(Array.isArray(util.getGroup(0).members)).toBe(true);
    expectUVError(() => util.getGroup(FREE_UID), 'ENOENT', 'uv_os_get_group');
    expectError(() => util.getGroup(undefined as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('the environment', () => {
  it('setenv / getenv / unsetenv / environ act on the environment process.env and children see', () => {
    const name = 'UVKIT_UTIL_TEST';
    try {
      expect(util.getenv(name)).toBeUndefined();
      const value = `x ${'é'.repeat(300)} ✓`; // longer than the first buffer, not ASCII
      util.setenv(name, value);
      expect(util.getenv(name)).toBe(value);
      expect(process.env[name]).toBe(value);
      expect(util.environ()[name]).toBe(value);
      const child = spawnSync('sh', ['-c', `printf %s "$${name}"`], { encoding: 'utf8' });
      expect(child.stdout).toBe(value);
      util.setenv(name, '');
      expect(util.getenv(name)).toBe('');
      util.unsetenv(name);
      expect(util.getenv(name)).toBeUndefined();
      expect(name in process.env).toBe(false);
      util.unsetenv(name); // not set: no error
    } finally {
      delete process.env[name];
    }
    expect(util.environ()).toEqual({ ...process.env });
  });

  it('refuses names that are empty or hold "=" or NUL, values with NUL, and non-strings', () => {
    for (const bad of ['', 'A=B', 'A\0B']) {
      expectError(() => util.getenv(bad), TypeError, 'ERR_INVALID_ARG_VALUE');
      expectError(() => util.setenv(bad, 'v'), TypeError, 'ERR_INVALID_ARG_VALUE');
      expectError(() => util.unsetenv(bad), TypeError, 'ERR_INVALID_ARG_VALUE');
    }
    expectError(() => util.setenv('UVKIT_UTIL_BAD', 'a\0b'), TypeError, 'ERR_INVALID_ARG_VALUE');
    expect(util.getenv('UVKIT_UTIL_BAD')).toBeUndefined();
    expectError(() => util.setenv('UVKIT_UTIL_BAD', 1 as unknown as string), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => util.getenv(Symbol('x') as unknown as string), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('in a worker thread', () => {
  it('reads work; chdir, setenv and unsetenv throw ERR_WORKER_UNSUPPORTED_OPERATION and change nothing', async () => {
    const cwd = process.cwd();
    const result = await inWorker(`
result.pid = util.pid();
result.home = util.getenv('HOME');
result.cwd = util.cwd();
result.chdir = codeOf(() => util.chdir('/'));
result.setenv = codeOf(() => util.setenv('UVKIT_WORKER_SET', '1'));
result.unsetenv = codeOf(() => util.unsetenv('HOME'));
result.cwdAfter = util.cwd();`);
    expect(result).toEqual({
      pid: process.pid,
      home: process.env.HOME,
      cwd,
      chdir: 'ERR_WORKER_UNSUPPORTED_OPERATION',
      setenv: 'ERR_WORKER_UNSUPPORTED_OPERATION',
      unsetenv: 'ERR_WORKER_UNSUPPORTED_OPERATION',
      cwdAfter: cwd,
    });
    expect(process.cwd()).toBe(cwd);
    expect(process.env.UVKIT_WORKER_SET).toBeUndefined();
    expect(process.env.HOME).toBeDefined();
  });
});

describe('bad input', () => {
  it('guessHandleType, processTitle: wrong types and ranges', () => {
    expectError(() => util.guessHandleType(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => util.guessHandleType(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectError(() => util.guessHandleType('0' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => {
      util.processTitle = 'a\0b';
    }, TypeError, 'ERR_INVALID_ARG_VALUE');
    expectError(() => {
      util.processTitle = 5 as unknown as string;
    }, TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('util is frozen', () => {
    expect(Object.isFrozen(util)).toBe(true);
  });
});
