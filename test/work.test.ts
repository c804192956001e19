// Thread pool: loop.queueWork() with the built-in tasks, on Node's loop and private loops;
// results checked against plain-JS reference implementations, cancellation, lifetime, bad input.
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as nfs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Loop, UVError, util, work, type WorkTask } from '../src/ts/index.js';
import { expectError, tick } from './helpers/assert.js';
import { checkDistFresh, root } from './helpers/child.js';
import { runToEnd } from './helpers/loop.js';
import { blockThreadPool } from './helpers/pool.js';

// Bit-at-a-time references (reflected polynomials), independent of the native tables.
function crcReference(poly: number, bytes: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ poly : crc >>> 1;
  }
  return ~crc >>> 0;
}
const crc32c = (bytes: Uint8Array, initial = 0): number => crcReference(0x82f63b78, bytes, initial);
const crc32 = (bytes: Uint8Array, initial = 0): number => crcReference(0xedb88320, bytes, initial);

const loop = Loop.default();
const run = <T>(task: WorkTask<T>): Promise<T> => loop.queueWork(task);

let dir = '';
beforeAll(() => {
  dir = nfs.mkdtempSync(path.join(tmpdir(), 'uvkit-work-'));
});
afterAll(() => {
  nfs.rmSync(dir, { recursive: true, force: true });
});

describe('checksum', () => {
  it('CRC-32C and CRC-32 of the standard check string', async () => {
    const check = Buffer.from('123456789');
    expect(await run(work.checksum(check))).toBe(0xe3069283);
    expect(await run(work.checksum(check, 'crc32c'))).toBe(0xe3069283);
    expect(await run(work.checksum(check, 'crc32'))).toBe(0xcbf43926);
    expect(await run(work.checksum(Buffer.alloc(0)))).toBe(0);
  });

  it('matches the bitwise references on random data of every length mod 8, through any view', async () => {
    const data = randomBytes(4099);
    for (const length of [1, 7, 8, 9, 15, 16, 63, 4099]) {
      const view = data.subarray(3, 3 + Math.min(length, data.length - 3));
      expect(await run(work.checksum(view)), `crc32c of ${view.length}`).toBe(crc32c(view));
      expect(await run(work.checksum(view, 'crc32')), `crc32 of ${view.length}`).toBe(crc32(view));
    }
    const words = new Uint32Array(data.buffer, data.byteOffset + 4, 100); // a wider view: its bytes
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    expect(await run(work.checksum(words))).toBe(crc32c(bytes));
    const dv = new DataView(data.buffer, data.byteOffset + 10, 50);
    expect(await run(work.checksum(dv, 'crc32'))).toBe(crc32(new Uint8Array(data.buffer, data.byteOffset + 10, 50)));
  });

  it('continues from `initial`: the checksum of a + b from that of a', async () => {
    const a = randomBytes(1000);
    const b = randomBytes(333);
    for (const algorithm of ['crc32c', 'crc32'] as const) {
      const first = await run(work.checksum(a, algorithm));
      const whole = await run(work.checksum(Buffer.concat([a, b]), algorithm));
      expect(await run(work.checksum(b, algorithm, first))).toBe(whole);
    }
  });

  it('a task is a reusable description: queued twice, it runs twice on the buffer as it is then', async () => {
    const buffer = Buffer.from('abc');
    const task = work.checksum(buffer);
    const before = await run(task);
    buffer[0] = 0x41;
    expect(await run(task)).toBe(crc32c(buffer));
    expect(before).toBe(crc32c(Buffer.from('abc')));
    expect(task.name).toBe('checksum');
  });
});

describe('copy, fill, sleep', () => {
  it('copy moves as many bytes as both views have, overlapping views of one buffer included', async () => {
    const target = Buffer.alloc(5);
    expect(await run(work.copy(target, Buffer.from('hello, world')))).toBe(5);
    expect(target.toString()).toBe('hello');
    const longer = Buffer.alloc(8, '.');
    expect(await run(work.copy(longer, Buffer.from('abc')))).toBe(3);
    expect(longer.toString()).toBe('abc.....');
    const shared = Buffer.from('0123456789');
    expect(await run(work.copy(shared.subarray(2), shared.subarray(0, 8)))).toBe(8);
    expect(shared.toString()).toBe('0101234567');
  });

  it('fill sets every byte of the view, and only those', async () => {
    const buffer = Buffer.alloc(10);
    expect(await run(work.fill(buffer.subarray(2, 6), 0xff))).toBe(4);
    expect([...buffer]).toEqual([0, 0, 255, 255, 255, 255, 0, 0, 0, 0]);
    const big = Buffer.alloc(32 << 20);
    expect(await run(work.fill(big, 7))).toBe(big.length);
    expect(big.every((b) => b === 7)).toBe(true);
  });

  it('sleep resolves undefined; the callback form gets (null, undefined)', async () => {
    expect(await run(work.sleep(1))).toBeUndefined();
    const result = await new Promise<unknown[]>((resolve) => loop.queueWork(work.sleep(0), (...args) => resolve(args)));
    expect(result).toEqual([null, undefined]);
  });
});

describe('hashFile', () => {
  it('checksums a file read in a pool thread, whole or a range of it', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17); // more than one read chunk
    const file = path.join(dir, 'data');
    nfs.writeFileSync(file, content);
    const fd = nfs.openSync(file, 'r');
    try {
      expect(await run(work.hashFile(fd))).toEqual({ checksum: crc32c(content), bytes: content.length });
      expect(await run(work.hashFile(fd, { algorithm: 'crc32', offset: 100, length: 5000 }))).toEqual({
        checksum: crc32(content.subarray(100, 5100)),
        bytes: 5000,
      });
      expect(await run(work.hashFile(fd, { offset: content.length - 10, length: 1000 }))).toEqual({
        checksum: crc32c(content.subarray(content.length - 10)),
        bytes: 10,
      });
      expect(await run(work.hashFile(fd, { offset: content.length + 5 }))).toEqual({ checksum: 0, bytes: 0 });
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('a read failure is a UVError with syscall read: a directory (EISDIR), a closed fd (EBADF)', async () => {
    const dfd = nfs.openSync(dir, 'r');
    try {
      const error = await run(work.hashFile(dfd)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UVError);
      expect(error).toMatchObject({ code: 'EISDIR', syscall: 'read' });
    } finally {
      nfs.closeSync(dfd);
    }
    const closed = await run(work.hashFile(dfd)).catch((e: unknown) => e);
    expect(closed).toMatchObject({ code: 'EBADF', syscall: 'read' });
  });
});

describe('requests', () => {
  it('cancel() takes back a task still waiting for a thread: ECANCELED, once', async () => {
    const release = blockThreadPool(dir);
    let result: unknown[] | undefined;
    try {
      const request = loop.queueWork(work.sleep(0), (...args) => (result = args));
      expect(request.cancel()).toBe(true);
      expect(request.cancel()).toBe(false);
    } finally {
      await release();
    }
    for (let i = 0; i < 500 && result === undefined; i++) await tick();
    expect(result?.[0]).toBeInstanceOf(UVError);
    expect(result?.[0]).toMatchObject({ code: 'ECANCELED', syscall: 'queueWork' });
    expect(result?.[1]).toBeUndefined();
  });

  it('cancel() of a task that ran is false; the callback ran once', async () => {
    let calls = 0;
    const request = loop.queueWork(work.sleep(0), () => calls++);
    for (let i = 0; i < 500 && calls === 0; i++) await tick();
    expect(request.cancel()).toBe(false);
    await tick();
    expect(calls).toBe(1);
  });

  it('the callback runs in the caller’s AsyncLocalStorage context', async () => {
    const als = new AsyncLocalStorage<number>();
    const seen = await als.run(42, () => new Promise<number | undefined>((resolve) => loop.queueWork(work.sleep(0), () => resolve(als.getStore()))));
    expect(seen).toBe(42);
  });

  it('on a private loop: callbacks inside run(), close() waits for tasks in flight, errors rethrown by run()', () => {
    const own = new Loop();
    const got: unknown[] = [];
    own.queueWork(work.checksum(Buffer.from('123456789')), (err, sum) => got.push(err ?? sum));
    runToEnd(own);
    expect(got).toEqual([0xe3069283]);
    own.queueWork(work.sleep(20), (err) => got.push(err ?? 'slept'));
    own.close();
    expect(got).toEqual([0xe3069283, 'slept']);
    expectError(() => own.queueWork(work.sleep(0), () => {}), Error, 'ERR_LOOP_CLOSED');
    const throwing = new Loop();
    throwing.queueWork(work.sleep(0), () => {
      throw new Error('from a work callback');
    });
    expect(() => throwing.run()).toThrow('from a work callback');
    throwing.close();
  });

  it('a private loop dropped with a long task running is collected at once: the task ends early, its buffer is released after', async () => {
    let collected = 0;
    const registry = new FinalizationRegistry<string>(() => void collected++);
    (() => {
      const own = new Loop();
      registry.register(own, 'loop');
      own.queueWork(work.sleep(60_000), () => {}); // a pool thread holds it now
      const buffer = Buffer.alloc(1 << 20);
      registry.register(buffer, 'buffer');
      own.queueWork(work.fill(buffer, 1), () => {});
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    for (let i = 0; i < 200 && (collected < 2 || binding.debugCounts().poolRequests > 0); i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(collected).toBe(2);
    expect(binding.debugCounts().poolRequests).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000); // not the 60 s of the sleep
  });
});

describe('threadPoolSize and workers', () => {
  it('threadPoolSize is what libuv reads from UV_THREADPOOL_SIZE (default 4, 0 -> 1, over 1024 -> 1024)', () => {
    checkDistFresh();
    const size = (value: string | undefined): string => {
      const env = { ...process.env };
      if (value === undefined) delete env.UV_THREADPOOL_SIZE;
      else env.UV_THREADPOOL_SIZE = value;
      const script = "import { util } from './dist/index.js'; console.log(util.threadPoolSize());";
      return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8' }).stdout.trim();
    };
    expect(size(undefined)).toBe('4');
    expect(size('7')).toBe('7');
    expect(size('0')).toBe('1');
    expect(size('5000')).toBe('1024');
    expect(util.threadPoolSize()).toBe(Number(process.env.UV_THREADPOOL_SIZE ?? 4));
  });

  it('a worker that exits or is terminated with long tasks running ends promptly and cleanly, 20 times', async () => {
    checkDistFresh();
    const url = new URL('dist/index.js', `file://${root}/`).href;
    const code = `import { Loop, work } from ${JSON.stringify(url)};
import { workerData } from 'node:worker_threads';
const own = new Loop();
Loop.default().queueWork(work.sleep(30000), () => {});
own.queueWork(work.sleep(30000), () => {});
Loop.default().queueWork(work.fill(Buffer.alloc(1 << 16), 3), () => {});
if (workerData.exit) setTimeout(() => process.exit(0), 5);`;
    const source = new URL(`data:text/javascript,${encodeURIComponent(code)}`);
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const worker = new Worker(source, { workerData: { exit: i % 2 === 0 } });
      const exited = new Promise<number>((resolve, reject) => {
        worker.on('exit', resolve);
        worker.on('error', reject);
      });
      if (i % 2 === 1) setTimeout(() => void worker.terminate(), 5 + (i % 7));
      expect([0, 1]).toContain(await exited);
    }
    expect(Date.now() - started).toBeLessThan(20_000); // each ended its sleeps early
    expect(binding.debugCounts().poolRequests).toBe(0);
  });
});

describe('bad input', () => {
  it('task makers check their arguments', () => {
    const buf = Buffer.alloc(1);
    const cases: Array<[() => unknown, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, string]> = [
      [() => work.sleep(-1), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.sleep(2 ** 31), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.sleep('1' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => work.checksum('abc' as unknown as Buffer), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => work.checksum(buf, 'md5' as 'crc32'), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => work.checksum(buf, 'crc32c', 2 ** 32), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.copy(buf, [1] as unknown as Buffer), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => work.copy(new ArrayBuffer(1) as unknown as Buffer, buf), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => work.fill(buf, 256), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.fill(buf, 1.5), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.hashFile(-1), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.hashFile(0, null as unknown as object), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => work.hashFile(0, { algorithm: 'sha1' as 'crc32' }), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => work.hashFile(0, { offset: -1 }), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => work.hashFile(0, { length: Number.NaN }), RangeError, 'ERR_OUT_OF_RANGE'],
    ];
    for (const [fn, cls, code] of cases) expectError(fn, cls, code);
  });

  it('queueWork takes only tasks and a function callback; nothing is queued otherwise', () => {
    expectError(() => loop.queueWork({ task: 0, args: [1] } as unknown as WorkTask<number>), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectError(() => loop.queueWork(work.sleep(0), 'cb' as unknown as () => void), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(binding.debugCounts().poolRequests).toBe(0);
  });
});
