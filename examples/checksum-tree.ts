// CRC-32C of every regular file under a directory, like `find dir -type f | xargs crc32c`, with
// the reading and checksumming done in libuv's thread pool (work.hashFile): the JS thread only
// opens files and prints. Several files are hashed at once (one per pool thread by default).
// Run: npx tsx examples/checksum-tree.ts [dir] [--concurrency N]
// Without a directory it builds a demo tree in the temp dir and checks each result against a
// checksum of the file's bytes (work.checksum).
// Progress shows when stderr is a terminal (or CHECKSUM_TREE_PROGRESS=1).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Loop, fs, util, work } from '../src/ts/index.js';

const loop = Loop.default();
const args = process.argv.slice(2);
const flag = args.indexOf('--concurrency');
const concurrency = flag >= 0 ? Number(args.splice(flag, 2)[1]) : util.threadPoolSize();
const showProgress = process.stderr.isTTY || process.env.CHECKSUM_TREE_PROGRESS === '1';

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await fs.scandir(dir)) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

async function hash(file: string): Promise<{ checksum: number; bytes: number }> {
  const fd = await fs.open(file, 'r');
  try {
    return await loop.queueWork(work.hashFile(fd));
  } finally {
    await fs.close(fd);
  }
}

async function checksumTree(root: string): Promise<Map<string, number>> {
  const results = new Map<string, number>();
  const started = process.hrtime.bigint();
  let bytes = 0;
  const running = new Set<Promise<void>>();
  for await (const file of files(root)) {
    const task = hash(file).then((r) => {
      results.set(path.relative(root, file), r.checksum);
      bytes += r.bytes;
      console.log(`${r.checksum.toString(16).padStart(8, '0')}  ${path.relative(root, file)}`);
      if (showProgress) process.stderr.write(`\r${results.size} files, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    });
    running.add(task);
    void task.finally(() => running.delete(task));
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (showProgress) process.stderr.write('\n');
  console.log(`${results.size} files, ${bytes} bytes in ${seconds.toFixed(2)} s (${concurrency} at once)`);
  return results;
}

async function demo(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'uvkit-checksum-tree-'));
  try {
    for (let d = 0; d < 3; d++) {
      mkdirSync(path.join(root, `dir${d}`));
      for (let f = 0; f < 4; f++) {
        const size = (d * 4 + f) * 100_000;
        writeFileSync(path.join(root, `dir${d}`, `file${f}.bin`), Buffer.alloc(size, d * 16 + f));
      }
    }
    const results = await checksumTree(root);
    let checked = 0;
    for (const [name, checksum] of results) {
      const expected = await loop.queueWork(work.checksum(readFileSync(path.join(root, name))));
      if (expected !== checksum) throw new Error(`${name}: hashFile gave ${checksum}, checksum of its bytes ${expected}`);
      checked++;
    }
    console.log(`demo: ${checked} files, each checksum matches its bytes`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (args[0] !== undefined) await checksumTree(path.resolve(args[0]));
else await demo();
