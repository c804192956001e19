// Every example runs to completion and prints what it promises.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function runExample(name: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', name)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('examples', () => {
  it('private-loop.ts', () => {
    const { status, stdout, stderr } = runExample('private-loop.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain('run() rethrew: callback failed');
    expect(stdout).toContain('onError: handled by onError from Idle');
    expect(stdout).toContain('run() returned after stop(): ticks = 2');
    expect(stdout).toContain('ticks = 5, loop iterations seen by Prepare');
    expect(stdout).toContain('loop closed: true');
  });

  it('sysinfo.ts', () => {
    const { status, stdout, stderr } = runExample('sysinfo.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^up (\d+d )?\d+h \d+m, load [\d.]+ [\d.]+ [\d.]+$/m);
    expect(stdout).toMatch(/^CPUs \(\d+ usable\), busy over 500 ms:$/m);
    expect(stdout).toMatch(/^ {2}cpu0 +[\d.]+%/m);
    expect(stdout).toContain(`this process: pid `);
    expect(stdout).toMatch(/^ {2}lo +IPv4 127\.0\.0\.1\/255\.0\.0\.0 \(internal\)/m);
  });

  it('checksum-tree.ts', () => {
    const { status, stdout, stderr } = runExample('checksum-tree.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.match(/^[0-9a-f]{8} {2}dir\d\/file\d\.bin$/gm)?.length).toBe(12);
    expect(stdout).toContain('00000000  dir0/file0.bin'); // the empty file
    expect(stdout).toMatch(/^12 files, 6600000 bytes in [\d.]+ s \(\d+ at once\)$/m);
    expect(stdout).toContain('demo: 12 files, each checksum matches its bytes');
  });

  it('embed.ts', () => {
    const { status, stdout, stderr } = runExample('embed.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.match(/private-loop timer fired/g)?.length).toBe(3);
    expect(stdout).toContain("done: the private loop ran inside Node's loop");
  });

  it('worker-wakeup.ts', () => {
    const { status, stdout, stderr } = runExample('worker-wakeup.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain('woken by the worker (5/5)');
    expect(stdout).toContain('Async.send(token) after close returned false');
  });

  it('echo-server.ts', () => {
    const { status, stdout, stderr } = runExample('echo-server.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain('echoed back: "hello, uvkit echo\\n"');
    expect(stdout).toContain('closed');
  });

  it('multicast-chat.ts', () => {
    const { status, stdout, stderr } = runExample('multicast-chat.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    // Every member hears the three chat messages (its own too), in batches for carol; nobody hears
    // the message sent after everyone left the group.
    for (const member of ['alice', 'bob', 'carol']) {
      for (const line of ['alice: hello room', 'bob: hi alice', 'carol: hey both']) {
        expect(stdout).toContain(`${member.padEnd(5)} heard ${JSON.stringify(line)}`);
      }
      expect(stdout).toContain(`${member} heard 3 messages`);
    }
    expect(stdout).not.toContain('anyone there?');
    expect(stdout).toContain('room closed');
  });

  it('parallel-commands.ts', () => {
    const { status, stdout, stderr } = runExample('parallel-commands.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain('[exit 0] echo build: compiling 3 files; sleep 0.2; echo build: done');
    expect(stdout).toContain('    out: build: done');
    expect(stdout).toContain('[exit 1] echo test: 1 failing >&2; exit 1');
    expect(stdout).toContain('    err: test: 1 failing');
    expect(stdout).toContain('[killed by signal 15] kill -TERM $$');
    for (let i = 0; i < 20; i++) expect(stdout).toContain(`    out: job ${i}: ${i * i}\n`);
    // Results come back in the order given, whatever order the commands finished in.
    expect(stdout.indexOf('slow: finished')).toBeLessThan(stdout.indexOf('job 0: 0'));
    expect(stdout).toMatch(/25 commands, 2 failed, \d+ ms with 8 at a time/);
  });

  it('copy-tree.ts', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'copy-tree.ts'), '--concurrency', '8'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, COPY_TREE_PROGRESS: '1' },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('verified 258 entries: content, modes, mtimes and links match');
    expect(result.stdout).toMatch(/240 files, 13 directories, 6 links, 2781960 bytes in \d+ ms, 8 operations at a time/);
    // The progress line is rewritten in place and ends with the totals.
    expect(result.stderr).toMatch(/\rcopied \d+ files/);
    expect(result.stderr.trimEnd().endsWith('copied 240 files, 13 dirs, 6 links, 2.8 MB')).toBe(true);
  });

  it('pipeline.ts', () => {
    const { status, stdout, stderr } = runExample('pipeline.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    // How many of 1..100000 contain a 7, counted here.
    let sevens = 0;
    for (let i = 1; i <= 100_000; i++) if (String(i).includes('7')) sevens++;
    expect(stdout).toContain(`seq 1 100000 | grep 7 | wc -l  =>  ${sevens}`);
    expect(stdout).toContain('exit statuses: 0, 0, 0');
  });

  it('watch-dir.ts', () => {
    const { status, stdout, stderr } = runExample('watch-dir.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/watching a new temporary directory with one (recursive FSEvent|FSEvent per directory)/);
    const lines = stdout.split('\n').map((line) => line.trim());
    // Each change is reported once, in the order made (a created file may also show as changed).
    const expected = [
      'created notes.txt',
      'changed docs/readme.md',
      'created src/',
      'created src/main.ts',
      'created src/lib/',
      'created src/lib/deep/',
      'created src/lib/deep/x.ts',
      'removed notes.txt',
      'created todo.txt',
      'removed src/lib/deep/x.ts',
      'removed src/lib/deep/',
      'removed src/lib/',
      'removed src/',
    ];
    for (const line of [...expected, 'removed src/main.ts']) expect(lines.filter((l) => l === line), line).toHaveLength(1);
    const order = expected.map((line) => lines.indexOf(line));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // What is left: the root and docs/ (one watcher each where libuv cannot recurse).
    expect(stdout).toContain(`still watching ${stdout.includes('one recursive FSEvent') ? 1 : 2} directories`);
    expect(stdout.trimEnd().endsWith('closed')).toBe(true);
  });

  it('ipc-handoff.ts', () => {
    const { status, stdout, stderr } = runExample('ipc-handoff.ts');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    for (const i of [1, 2, 3]) expect(stdout).toContain(`client ${i}: served by child <pid>`);
    expect(stdout).toContain('done: three connections handed off and served by the child');
  });
});
