// Copies a directory tree with uvkit's fs: at most `concurrency` operations in flight, a progress
// line on stderr, modes and modification times kept, symbolic links copied as links.
// Run: npx tsx examples/copy-tree.ts [source dest] [--concurrency N]
// Without source and dest it builds a demo tree in the temp dir, copies it and checks the copy.
// Progress shows when stderr is a terminal (or COPY_TREE_PROGRESS=1).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fs } from '../src/ts/index.js';

interface Totals {
  files: number;
  dirs: number;
  links: number;
  bytes: number;
}

/** Runs async tasks with at most `limit` running at once. */
class Limiter {
  #running = 0;
  #waiting: Array<() => void> = [];
  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

class TreeCopier {
  readonly totals: Totals = { files: 0, dirs: 0, links: 0, bytes: 0 };
  #limiter: Limiter;
  #showProgress: boolean;
  #lastProgress = 0;

  constructor(concurrency: number, showProgress: boolean) {
    this.#limiter = new Limiter(concurrency);
    this.#showProgress = showProgress;
  }

  /** Copies `source` (a directory) to `dest`, which must not exist yet. */
  async copyDir(source: string, dest: string): Promise<void> {
    const stats = await this.#limiter.run(() => fs.stat(source));
    await this.#limiter.run(() => fs.mkdir(dest, stats.mode & 0o7777));
    this.totals.dirs++;
    const entries = await this.#limiter.run(() => fs.scandir(source));
    await Promise.all(entries.map((entry) => this.#copyEntry(path.join(source, entry.name), path.join(dest, entry.name), entry)));
    // Times last: creating the entries changed the directory's mtime.
    await this.#limiter.run(() => fs.utime(dest, stats.atimeMs / 1000, stats.mtimeMs / 1000));
  }

  async #copyEntry(source: string, dest: string, entry: fs.Dirent): Promise<void> {
    if (entry.isDirectory()) return this.copyDir(source, dest);
    if (entry.isSymbolicLink()) {
      const target = await this.#limiter.run(() => fs.readlink(source));
      await this.#limiter.run(() => fs.symlink(target, dest));
      this.totals.links++;
      return this.#progress();
    }
    if (!entry.isFile()) return; // sockets, FIFOs and devices are not copied
    await this.#limiter.run(async () => {
      // FICLONE shares the blocks where the file system can (copy-on-write), else copies them.
      await fs.copyfile(source, dest, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
      const stats = await fs.stat(source);
      await fs.utime(dest, stats.atimeMs / 1000, stats.mtimeMs / 1000);
      this.totals.bytes += stats.size;
    });
    this.totals.files++;
    this.#progress();
  }

  #progress(final = false): void {
    if (!this.#showProgress) return;
    const now = performance.now();
    if (!final && now - this.#lastProgress < 50) return;
    this.#lastProgress = now;
    const { files, dirs, links, bytes } = this.totals;
    process.stderr.write(`\rcopied ${files} files, ${dirs} dirs, ${links} links, ${(bytes / 1e6).toFixed(1)} MB${final ? '\n' : ''}`);
  }

  finish(): void {
    this.#progress(true);
  }
}

/** A demo tree: nested directories, files of assorted sizes and modes, and symbolic links. */
async function makeDemoTree(root: string): Promise<void> {
  await fs.mkdir(root);
  for (let d = 0; d < 6; d++) {
    const dir = path.join(root, `dir-${d}`, `sub-${d % 3}`);
    await fs.mkdir(path.dirname(dir)).catch(() => undefined);
    await fs.mkdir(dir);
    for (let f = 0; f < 40; f++) {
      const file = path.join(dir, `file-${f}.bin`);
      const fd = await fs.open(file, 'w', f % 2 ? 0o600 : 0o644);
      await fs.write(fd, Buffer.alloc((d * 40 + f) * 97, `${d}:${f};`));
      await fs.close(fd);
    }
    await fs.symlink(`file-0.bin`, path.join(dir, 'latest'));
  }
}

/** Every file under `a` has the same bytes, mode and mtime under `b`; links point the same way. */
async function verify(a: string, b: string): Promise<number> {
  let checked = 0;
  for (const entry of fs.scandirSync(a)) {
    const [x, y] = [path.join(a, entry.name), path.join(b, entry.name)];
    const [sx, sy] = [fs.lstatSync(x), fs.lstatSync(y)];
    if (sx.mode !== sy.mode) throw new Error(`mode differs: ${y}`);
    if (entry.isDirectory()) {
      checked += await verify(x, y);
    } else if (entry.isSymbolicLink()) {
      if (fs.readlinkSync(x) !== fs.readlinkSync(y)) throw new Error(`link differs: ${y}`);
    } else {
      const digest = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
      if (digest(x) !== digest(y)) throw new Error(`content differs: ${y}`);
      if (Math.trunc(sx.mtimeMs) !== Math.trunc(sy.mtimeMs)) throw new Error(`mtime differs: ${y}`);
    }
    checked++;
  }
  return checked;
}

function parseArgs(argv: string[]): { source: string | undefined; dest: string | undefined; concurrency: number } {
  const positional: string[] = [];
  let concurrency = 16;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--concurrency') concurrency = Number(argv[++i]);
    else positional.push(argv[i]!);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency takes a positive integer');
  return { source: positional[0], dest: positional[1], concurrency };
}

const { source, dest, concurrency } = parseArgs(process.argv.slice(2));
const showProgress = process.stderr.isTTY === true || process.env.COPY_TREE_PROGRESS === '1';
const copier = new TreeCopier(concurrency, showProgress);
const started = performance.now();
if (source !== undefined && dest !== undefined) {
  await copier.copyDir(source, dest);
  copier.finish();
} else {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'copy-tree-'));
  try {
    await makeDemoTree(path.join(work, 'src'));
    await copier.copyDir(path.join(work, 'src'), path.join(work, 'copy'));
    copier.finish();
    console.log(`verified ${await verify(path.join(work, 'src'), path.join(work, 'copy'))} entries: content, modes, mtimes and links match`);
  } finally {
    await import('node:fs/promises').then((p) => p.rm(work, { recursive: true, force: true }));
  }
}
const { files, dirs, links, bytes } = copier.totals;
console.log(`${files} files, ${dirs} directories, ${links} links, ${bytes} bytes in ${Math.round(performance.now() - started)} ms, ${concurrency} operations at a time`);
