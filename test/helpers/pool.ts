// Holding every thread of libuv's pool busy on Node's loop, so that requests queued meanwhile
// wait in libuv's queue (what cancel() can still take back).
import { spawnSync } from 'node:child_process';
import * as nfs from 'node:fs';
import path from 'node:path';
import { fs, util } from '../../src/ts/index.js';

/**
 * Makes every pool thread block in open(2) of a new FIFO in `dir` for reading; the returned
 * release() lets them all go and closes what they opened.
 *
 * release() opens the FIFO O_RDWR and holds it until every open has returned: on Linux that never
 * blocks and counts as a writer, so an open a slow thread has not even started yet returns too.
 * (Opening for writing and closing at once would strand such an open forever.)
 */
export function blockThreadPool(dir: string): () => Promise<void> {
  const fifo = path.join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) throw new Error(`mkfifo ${fifo} failed: ${made.stderr}`);
  const opens = Array.from({ length: util.threadPoolSize() }, () => fs.open(fifo, 'r'));
  return async () => {
    const writer = nfs.openSync(fifo, nfs.constants.O_RDWR);
    try {
      for (const fd of await Promise.all(opens)) nfs.closeSync(fd);
    } finally {
      nfs.closeSync(writer);
      nfs.rmSync(fifo, { force: true });
    }
  };
}
