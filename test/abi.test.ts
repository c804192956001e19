// The C ABI (include/uvkit.h): another addon (test/fixtures/abi-addon.c, compiled here with the
// system C compiler against the running Node's headers) queues its own work on uvkit loops.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Loop, errors, nativeAbi } from '../src/ts/index.js';
import { tick } from './helpers/assert.js';
import { root } from './helpers/child.js';
import { blockThreadPool } from './helpers/pool.js';

interface AbiAddon {
  init(abi: object): number;
  sum(loop: unknown, buffer: Buffer, callback: (status: number, sum: number) => void): number;
  sleep(loop: unknown, ms: number, callback: (status: number) => void): number;
  cancel(id: number): number;
  detachedDones(): number;
}

let dir = '';
let addon: AbiAddon;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'uvkit-abi-'));
  const nodeInclude = path.resolve(path.dirname(process.execPath), '../include/node');
  expect(existsSync(path.join(nodeInclude, 'node_api.h')), `Node's headers in ${nodeInclude}`).toBe(true);
  const output = path.join(dir, 'abi_test.node');
  const cc = spawnSync(
    process.env.CC ?? 'cc',
    ['-shared', '-fPIC', '-O1', '-Wall', '-Werror', `-I${nodeInclude}`, `-I${path.join(root, 'include')}`, '-o', output, path.join(root, 'test/fixtures/abi-addon.c')],
    // Not under the sanitizer runtime the ASan tier preloads into Node (the compiler's own leaks).
    { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: '' } },
  );
  expect(cc.status, cc.stderr).toBe(0);
  addon = createRequire(import.meta.url)(output) as AbiAddon;
  expect(addon.init(nativeAbi)).toBe(1);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const UV_ECANCELED = errors.codes.ECANCELED!;
const UV_EINVAL = errors.codes.EINVAL!;

describe('C ABI', () => {
  it("runs another addon's work on Node's loop: its done function calls back with the result", async () => {
    const result = await new Promise<number[]>((resolve) => {
      const id = addon.sum(Loop.default(), Buffer.from([1, 2, 3, 250]), (status, sum) => resolve([status, sum]));
      expect(id).toBeGreaterThan(0);
    });
    expect(result).toEqual([0, 256]);
  });

  it('on a private loop the done function runs inside run(); an exception it leaves is rethrown by run()', () => {
    const loop = new Loop();
    const got: number[][] = [];
    addon.sum(loop, Buffer.alloc(1000, 3), (status, sum) => got.push([status, sum]));
    expect(loop.run()).toBe(false);
    expect(got).toEqual([[0, 3000]]);
    addon.sleep(loop, 1, () => {
      throw new Error('thrown from an ABI done function');
    });
    expect(() => loop.run()).toThrow('thrown from an ABI done function');
    loop.close();
  });

  it('refuses what is not an open uvkit Loop with EINVAL, and queues nothing', () => {
    const closed = new Loop();
    closed.close();
    for (const bad of [{}, null, 42, closed, Buffer.alloc(1)]) {
      expect(addon.sum(bad, Buffer.alloc(1), () => {})).toBe(UV_EINVAL);
    }
    expect(binding.debugCounts().poolRequests).toBe(0);
  });

  it('cancel() takes back queued work: done gets UV_ECANCELED; a finished request cannot be cancelled', async () => {
    const release = blockThreadPool(dir);
    let status: number | undefined;
    try {
      const id = addon.sleep(Loop.default(), 0, (s) => (status = s));
      expect(addon.cancel(id)).toBe(1);
      expect(addon.cancel(id)).toBe(0);
    } finally {
      await release();
    }
    for (let i = 0; i < 500 && status === undefined; i++) await tick();
    expect(status).toBe(UV_ECANCELED);
    expect(addon.cancel(123456)).toBe(0);
  });

  it('a private loop dropped with work in flight calls done with a NULL env (no JS), once per request', async () => {
    const before = addon.detachedDones();
    (() => {
      const loop = new Loop(); // never run
      for (let i = 0; i < 5; i++) addon.sleep(loop, 1, () => {});
    })();
    for (let i = 0; i < 100 && addon.detachedDones() < before + 5; i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(addon.detachedDones()).toBe(before + 5);
    expect(binding.debugCounts().poolRequests).toBe(0);
  });
});
