// Reads of cached data done at once on the loop's thread (fs.cc ReadNow: preadv2 RWF_NOWAIT on
// Linux) instead of by the thread pool: the same results, positions and callback rules as the
// thread-pool path (always asynchronous, exactly once, file position moved by position -1 reads).
import { randomBytes } from 'node:crypto';
import * as nfs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fs, Loop } from '../src/ts/index.js';
import { runToEnd, until } from './helpers/loop.js';

let dir = '';
let content = Buffer.alloc(0);
let file = '';

beforeEach(() => {
  dir = nfs.mkdtempSync(path.join(tmpdir(), 'uvkit-readnow-'));
  file = path.join(dir, 'data');
  content = randomBytes(3 * 256 * 1024 + 12345); // not a multiple of any chunk size below
  nfs.writeFileSync(file, content);
  nfs.readFileSync(file); // in the page cache: the reads below can be done at once
});

afterEach(() => nfs.rmSync(dir, { recursive: true, force: true }));

/** Reads the whole file with position -1 reads of `chunk` bytes, chained from the callbacks. */
function readSequentially(fd: number, chunk: number, loop?: Loop): Promise<{ data: Buffer; calls: number; sync: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const buffer = Buffer.alloc(chunk);
    let calls = 0;
    let inCall = false;
    let sync = false;
    const next = (): void => {
      inCall = true;
      fs.read(fd, buffer, 0, chunk, null, loop ? { loop } : {}, (err, n) => {
        if (inCall) sync = true; // a callback from inside fs.read() itself
        calls++;
        if (err) return reject(err);
        if (n === 0) return resolve({ data: Buffer.concat(parts), calls, sync });
        parts.push(Buffer.from(buffer.subarray(0, n)));
        next();
      });
      inCall = false;
    };
    next();
  });
}

describe('reads of cached data', () => {
  it.each([4096, 65536, 256 * 1024, 256 * 1024 + 1, 1024 * 1024])(
    'sequential position -1 reads of %i bytes read the file exactly, always calling back asynchronously',
    async (chunk) => {
      const fd = nfs.openSync(file, 'r');
      try {
        const { data, calls, sync } = await readSequentially(fd, chunk);
        expect(sync).toBe(false);
        expect(data.equals(content)).toBe(true);
        expect(calls).toBe(Math.ceil(content.length / chunk) + 1);
        // The file position ended at the end: one more read gives 0 bytes.
        expect(nfs.readSync(fd, Buffer.alloc(10))).toBe(0);
      } finally {
        nfs.closeSync(fd);
      }
    },
  );

  it('a read at an explicit position does not move the file position; a short read at the end of the file gives the tail', async () => {
    const fd = nfs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(8192);
      expect(await fs.read(fd, buffer, 0, 100, 1000)).toBe(100);
      expect(buffer.subarray(0, 100).equals(content.subarray(1000, 1100))).toBe(true);
      expect(await fs.read(fd, buffer, 0, 10, null)).toBe(10); // from position 0
      expect(buffer.subarray(0, 10).equals(content.subarray(0, 10))).toBe(true);
      const tail = content.length - 300;
      expect(await fs.read(fd, buffer, 0, 8192, tail)).toBe(300);
      expect(buffer.subarray(0, 300).equals(content.subarray(tail))).toBe(true);
      expect(await fs.read(fd, buffer, 0, 8192, content.length + 5)).toBe(0);
      expect(await fs.read(fd, buffer, 0, 10, null)).toBe(10); // continues at 10
      expect(buffer.subarray(0, 10).equals(content.subarray(10, 20))).toBe(true);
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('a vectored read fills each buffer in order', async () => {
    const fd = nfs.openSync(file, 'r');
    try {
      const parts = [Buffer.alloc(7), Buffer.alloc(4096), Buffer.alloc(1)];
      expect(await fs.readv(fd, parts, 50)).toBe(4104);
      expect(Buffer.concat(parts).equals(content.subarray(50, 50 + 4104))).toBe(true);
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('cancel() of a read that completed at once returns false and its callback runs once, with the data', async () => {
    const fd = nfs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(100);
      const results: Array<[unknown, unknown]> = [];
      const request = fs.read(fd, buffer, 0, 100, 0, (err, n) => results.push([err, n]));
      expect(request.cancel()).toBe(false);
      await until(() => results.length > 0, 'the read');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(results).toEqual([[null, 100]]);
      expect(buffer.equals(content.subarray(0, 100))).toBe(true);
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('on a private loop, run() delivers every read (the loop stays alive for them)', () => {
    const loop = new Loop();
    const fd = nfs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(65536);
      let total = 0;
      let done = false;
      const next = (): void => {
        fs.read(fd, buffer, 0, buffer.length, null, { loop }, (err, n) => {
          expect(err).toBeNull();
          if (n === 0) return void (done = true);
          total += n!;
          next();
        });
      };
      next();
      runToEnd(loop);
      expect(done).toBe(true);
      expect(total).toBe(content.length);
    } finally {
      nfs.closeSync(fd);
      loop.close();
    }
  });

  it('a character device (which preadv2 may serve or refuse) reads the same either way', async () => {
    const fd = nfs.openSync('/dev/zero', 'r');
    try {
      const buffer = Buffer.alloc(4096, 1);
      expect(await fs.read(fd, buffer, 0, 4096, null)).toBe(4096);
      expect(buffer.every((b) => b === 0)).toBe(true);
    } finally {
      nfs.closeSync(fd);
    }
  });
});
