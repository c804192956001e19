// Prints what changes under a directory, subdirectories included.
//   npx tsx examples/watch-dir.ts          a demo: changes made in a new temporary directory
//   npx tsx examples/watch-dir.ts <dir>    watches <dir> until Ctrl-C
//
// libuv watches subdirectories itself only on macOS and Windows (features.fsEventRecursive); on
// Linux (inotify) each directory needs its own FSEvent. So this keeps one per directory there: a
// new directory gets a watcher and is scanned (entries made before its watcher started are
// reported too), a removed one loses its watcher. FSEvent only says RENAME (an entry appeared or
// went) or CHANGE (content or attributes): whether the entry exists now tells created from removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FSEvent, constants, features } from '../src/ts/index.js';

class TreeWatcher {
  readonly #root: string;
  readonly #report: (line: string) => void;
  readonly #watchers = new Map<string, FSEvent>(); // watched directory -> its watcher
  readonly #known = new Set<string>(); // entries seen, relative to the root ('dir/' for directories)

  constructor(root: string, report: (line: string) => void) {
    this.#root = root;
    this.#report = report;
  }

  start(): void {
    if (features.fsEventRecursive) this.#watch(this.#root, true);
    this.#addTree(this.#root, false);
  }

  get directories(): number {
    return this.#watchers.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#watchers.values()].map((watcher) => watcher.close()));
    this.#watchers.clear();
  }

  #watch(dir: string, recursive: boolean): void {
    const watcher = new FSEvent();
    watcher.start(dir, { recursive }, (error, filename, events) => {
      if (error !== null) this.#report(`error ${error.message}`);
      else if (filename !== null) this.#saw(path.join(dir, filename), events);
    });
    this.#watchers.set(dir, watcher);
  }

  // Watches `dir` (one level, unless one recursive watcher covers all) and takes in what it holds.
  #addTree(dir: string, report: boolean): void {
    if (!features.fsEventRecursive) this.#watch(dir, false);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) this.#appeared(path.join(dir, entry.name), entry.isDirectory(), report);
  }

  #appeared(full: string, isDirectory: boolean, report: boolean): void {
    const rel = this.#relative(full, isDirectory);
    if (this.#known.has(rel)) return;
    this.#known.add(rel);
    if (report) this.#report(`created ${rel}`);
    if (isDirectory) this.#addTree(full, report);
  }

  #saw(full: string, events: number): void {
    let stats: fs.Stats | undefined;
    try {
      stats = fs.statSync(full);
    } catch {
      stats = undefined;
    }
    if (stats === undefined) return this.#gone(full);
    const rel = this.#relative(full, stats.isDirectory());
    if (!this.#known.has(rel)) return this.#appeared(full, stats.isDirectory(), true);
    if (events & constants.fsEvent.CHANGE && !stats.isDirectory()) this.#report(`changed ${rel}`);
  }

  // A directory takes along everything known under it (deepest first), and its watchers.
  #gone(full: string): void {
    const file = this.#relative(full, false);
    if (this.#known.delete(file)) return this.#report(`removed ${file}`);
    const dir = `${file}/`;
    if (!this.#known.has(dir)) return; // an event about a watched directory itself, or already reported
    const inside = [...this.#known].filter((rel) => rel !== dir && rel.startsWith(dir)).sort().reverse();
    for (const rel of [...inside, dir]) {
      this.#known.delete(rel);
      this.#report(`removed ${rel}`);
    }
    for (const [watched, watcher] of this.#watchers) {
      if (watched !== full && !watched.startsWith(full + path.sep)) continue;
      void watcher.close();
      this.#watchers.delete(watched);
    }
  }

  #relative(full: string, isDirectory: boolean): string {
    const rel = path.relative(this.#root, full).split(path.sep).join('/');
    return isDirectory ? `${rel}/` : rel;
  }
}

const mode = features.fsEventRecursive ? 'one recursive FSEvent' : 'one FSEvent per directory';

if (process.argv[2] !== undefined) {
  // Watch a directory of yours until Ctrl-C.
  const tree = new TreeWatcher(path.resolve(process.argv[2]), (line) => console.log(line));
  tree.start();
  console.log(`watching ${process.argv[2]} with ${mode} (${tree.directories} watched); Ctrl-C stops`);
  process.once('SIGINT', () => void tree.close());
} else {
  await demo();
}

// Makes changes in a new temporary directory and waits for each to be reported.
async function demo(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uvkit-watch-dir-'));
  const at = (...parts: string[]): string => path.join(root, ...parts);
  fs.mkdirSync(at('docs'));
  fs.writeFileSync(at('docs', 'readme.md'), '# notes\n');

  const printed: string[] = [];
  let waiting: (() => void) | undefined;
  const tree = new TreeWatcher(root, (line) => {
    console.log(`  ${line}`);
    printed.push(line);
    waiting?.();
  });
  tree.start();
  console.log(`watching a new temporary directory with ${mode}`);

  // Runs `act`, then waits (5 s at most) until every line of `expected` was printed.
  async function step(what: string, act: () => void, expected: string[]): Promise<void> {
    console.log(`${what}:`);
    act();
    const done = (): boolean => expected.every((line) => printed.includes(line));
    const timeout = setTimeout(() => waiting?.(), 5_000);
    const deadline = Date.now() + 5_000;
    while (!done() && Date.now() < deadline) await new Promise<void>((resolve) => (waiting = resolve));
    clearTimeout(timeout);
    waiting = undefined;
    if (!done()) throw new Error(`${what}: not reported: ${expected.filter((line) => !printed.includes(line)).join(', ')}`);
  }

  try {
    await step('write notes.txt', () => fs.writeFileSync(at('notes.txt'), 'buy milk\n'), ['created notes.txt']);
    await step('append to docs/readme.md', () => fs.appendFileSync(at('docs', 'readme.md'), 'more\n'), ['changed docs/readme.md']);
    await step(
      'mkdir src, write src/main.ts at once',
      () => {
        fs.mkdirSync(at('src'));
        fs.writeFileSync(at('src', 'main.ts'), 'export {};\n');
      },
      ['created src/', 'created src/main.ts'],
    );
    await step(
      'mkdir -p src/lib/deep, write a file there',
      () => {
        fs.mkdirSync(at('src', 'lib', 'deep'), { recursive: true });
        fs.writeFileSync(at('src', 'lib', 'deep', 'x.ts'), '');
      },
      ['created src/lib/', 'created src/lib/deep/', 'created src/lib/deep/x.ts'],
    );
    await step('rename notes.txt to todo.txt', () => fs.renameSync(at('notes.txt'), at('todo.txt')), ['removed notes.txt', 'created todo.txt']);
    await step('rm -r src', () => fs.rmSync(at('src'), { recursive: true }), [
      'removed src/main.ts',
      'removed src/lib/deep/x.ts',
      'removed src/lib/deep/',
      'removed src/lib/',
      'removed src/',
    ]);
    console.log(`still watching ${tree.directories} directories`);
  } finally {
    await tree.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log('closed');
}
