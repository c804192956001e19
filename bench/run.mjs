// npm run bench: uvkit against Node's builtins on the same work, measured in one run.
// Every measurement is a fresh child process; uvkit and Node alternate (order flipped each round);
// the table shows medians of BENCH_REPS rounds (default 5) with min-max, and the ratio of medians.
// Results also go to bench/results/latest.json. Progress goes to stderr.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const reps = Number(process.env.BENCH_REPS ?? 5);
const only = process.argv.slice(2);

// The C reference (bench/reference/*.c): the same work in plain libuv, built only where a C compiler
// and a libuv development package exist (it links that libuv, never Node's; a yardstick only).
function buildReference(name) {
  const out = path.join(here, 'results', `${name}-c`);
  mkdirSync(path.dirname(out), { recursive: true });
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libuv'], { encoding: 'utf8' });
  if (flags.status !== 0) return { skipped: 'no libuv development package (Debian: libuv1-dev)' };
  const version = spawnSync('pkg-config', ['--modversion', 'libuv'], { encoding: 'utf8' }).stdout.trim();
  const cc = spawnSync('cc', ['-O2', '-o', out, path.join(here, 'reference', `${name}.c`), ...flags.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
  if (cc.status !== 0) return { skipped: `the C compiler failed: ${cc.stderr.trim().split('\n')[0]}` };
  return { binary: out, version };
}
const timersC = buildReference('timers');
const asyncC = buildReference('async');
const udpC = buildReference('udp');
const pingpongC = buildReference('tcp_pingpong');
const pumpC = buildReference('tcp_pump');
const fsC = buildReference('fs');
const spawnCatC = buildReference('spawn_cat');
// A reference row: the built binary with these arguments, or why it was skipped.
const withArgs = (reference, ...args) => (reference.binary ? { ...reference, args } : reference);
const sinkPath = path.join(here, 'workloads', 'sink.mjs');
// The read benchmark's file (made by bench/workloads/fs.mjs on its first run, before the C one runs).
const bigFilePath = path.join(os.tmpdir(), 'uvkit-bench-256m.bin');
// The child-stdout benchmark's file (made by bench/workloads/spawn.mjs on its first run).
const catFilePath = path.join(os.tmpdir(), 'uvkit-bench-cat-256M');

// ratio > 1 means uvkit is better (faster, more per second, or less memory for lowerIsBetter rows).
const workloads = [
  {
    name: '1e6 timers, Timer on Loop.default() vs setTimeout',
    unit: 'timers/s',
    uvkit: ['workloads/timers.mjs', '--impl', 'uvkit'],
    node: ['workloads/timers.mjs', '--impl', 'node'],
    c: timersC,
  },
  {
    name: '1e6 timers, Timer on a private loop run() vs setTimeout',
    unit: 'timers/s',
    uvkit: ['workloads/timers.mjs', '--impl', 'uvkit-private'],
    node: ['workloads/timers.mjs', '--impl', 'node'],
    c: timersC,
  },
  {
    name: 'Timer start+stop vs setTimeout+clearTimeout',
    unit: 'pairs/s',
    uvkit: ['workloads/timer-pair.mjs', '--impl', 'uvkit'],
    node: ['workloads/timer-pair.mjs', '--impl', 'node'],
  },
  {
    name: 'Async send->callback (private loop) vs setImmediate chain',
    unit: 'wakeups/s',
    uvkit: ['workloads/async-wakeup.mjs', '--impl', 'uvkit'],
    node: ['workloads/async-wakeup.mjs', '--impl', 'node'],
    c: asyncC,
  },
  {
    name: 'TCP ping-pong 64 B, 1 connection',
    unit: 'round trips/s',
    uvkit: ['workloads/tcp-pingpong.mjs', '--impl', 'uvkit', '--conns', '1'],
    node: ['workloads/tcp-pingpong.mjs', '--impl', 'node', '--conns', '1'],
    c: withArgs(pingpongC, '1'),
  },
  {
    name: 'TCP ping-pong 64 B, 100 connections',
    unit: 'round trips/s',
    uvkit: ['workloads/tcp-pingpong.mjs', '--impl', 'uvkit', '--conns', '100'],
    node: ['workloads/tcp-pingpong.mjs', '--impl', 'node', '--conns', '100'],
    c: withArgs(pingpongC, '100'),
  },
  {
    name: 'TCP pump, 64 KiB writes, to a sink process',
    unit: 'MB/s',
    uvkit: ['workloads/tcp-pump.mjs', '--impl', 'uvkit'],
    node: ['workloads/tcp-pump.mjs', '--impl', 'node'],
    c: withArgs(pumpC, process.execPath, sinkPath, '1'),
  },
  {
    name: 'Unix socket pump (Pipe vs net), 64 KiB writes',
    unit: 'MB/s',
    uvkit: ['workloads/tcp-pump.mjs', '--impl', 'uvkit', '--pipe'],
    node: ['workloads/tcp-pump.mjs', '--impl', 'node', '--pipe'],
  },
  {
    name: 'TCP batched pump, 16 x 64 KiB per tick (net: cork/uncork)',
    unit: 'MB/s',
    uvkit: ['workloads/tcp-pump.mjs', '--impl', 'uvkit', '--batch', '16'],
    node: ['workloads/tcp-pump.mjs', '--impl', 'node', '--batch', '16'],
    c: withArgs(pumpC, process.execPath, sinkPath, '16'),
  },
  {
    name: 'UDP receive 64 B, startRecv (one callback per datagram) vs dgram',
    unit: 'datagrams/s',
    uvkit: ['workloads/udp-recv.mjs', '--impl', 'uvkit'],
    node: ['workloads/udp-recv.mjs', '--impl', 'node'],
    c: withArgs(udpC, 'plain'),
  },
  {
    name: 'UDP receive 64 B, startRecvBatch vs dgram',
    unit: 'datagrams/s',
    uvkit: ['workloads/udp-recv.mjs', '--impl', 'uvkit-batch'],
    node: ['workloads/udp-recv.mjs', '--impl', 'node'],
    c: withArgs(udpC, 'mmsg'),
  },
  {
    name: 'UDP send 64 B, send() vs dgram.send()',
    unit: 'datagrams/s',
    uvkit: ['workloads/udp-send.mjs', '--impl', 'uvkit'],
    node: ['workloads/udp-send.mjs', '--impl', 'node'],
  },
  {
    name: 'UDP send 64 B, trySend() vs dgram.send()',
    unit: 'datagrams/s',
    uvkit: ['workloads/udp-send.mjs', '--impl', 'uvkit-try'],
    node: ['workloads/udp-send.mjs', '--impl', 'node'],
  },
  {
    name: 'Spawn+exit of /bin/true, sequential (Process.spawn vs child_process.spawn)',
    unit: 'spawns/s',
    uvkit: ['workloads/spawn.mjs', '--impl', 'uvkit', '--mode', 'seq'],
    node: ['workloads/spawn.mjs', '--impl', 'node', '--mode', 'seq'],
  },
  {
    name: 'Spawn+exit of /bin/true, sequential, uv_spawn path (fastPath: false)',
    unit: 'spawns/s',
    uvkit: ['workloads/spawn.mjs', '--impl', 'uvkit-uvspawn', '--mode', 'seq'],
    node: ['workloads/spawn.mjs', '--impl', 'node', '--mode', 'seq'],
  },
  {
    name: '200 concurrent sh -c echo, stdout captured (3 batches)',
    unit: 'commands/s',
    uvkit: ['workloads/spawn.mjs', '--impl', 'uvkit', '--mode', 'concurrent'],
    node: ['workloads/spawn.mjs', '--impl', 'node', '--mode', 'concurrent'],
  },
  {
    name: "Child stdout throughput (cat of 4 x 256 MiB through the pipe)",
    unit: 'MB/s',
    uvkit: ['workloads/spawn.mjs', '--impl', 'uvkit', '--mode', 'cat'],
    node: ['workloads/spawn.mjs', '--impl', 'node', '--mode', 'cat'],
    c: withArgs(spawnCatC, catFilePath),
  },
  {
    name: 'Child stdout throughput, startRead({ buffer }) of 256 KiB (cat of 4 x 256 MiB)',
    unit: 'MB/s',
    uvkit: ['workloads/spawn.mjs', '--impl', 'uvkit', '--mode', 'cat', '--buffer', '256'],
    node: ['workloads/spawn.mjs', '--impl', 'node', '--mode', 'cat'],
    c: withArgs(spawnCatC, catFilePath),
  },
  {
    name: 'Spawn+exit of /bin/true, sequential, parent holding 1 GiB of touched Buffers',
    unit: 'spawns/s',
    uvkit: ['workloads/spawn.mjs', '--impl', 'uvkit', '--mode', 'seq', '--heap', '1024'],
    node: ['workloads/spawn.mjs', '--impl', 'node', '--mode', 'seq', '--heap', '1024'],
  },
  {
    name: 'fs.stat of one path, 64 in flight, callbacks (vs fs.stat)',
    unit: 'stats/s',
    uvkit: ['workloads/fs.mjs', '--impl', 'uvkit', '--mode', 'stat-cb'],
    node: ['workloads/fs.mjs', '--impl', 'node', '--mode', 'stat-cb'],
    c: withArgs(fsC, 'stat-cb'),
  },
  {
    name: 'fs.stat of one path, 64 in flight, promises (vs fs.promises.stat)',
    unit: 'stats/s',
    uvkit: ['workloads/fs.mjs', '--impl', 'uvkit', '--mode', 'stat-promise'],
    node: ['workloads/fs.mjs', '--impl', 'node', '--mode', 'stat-promise'],
  },
  {
    name: 'fs.statSync of one path (vs fs.statSync)',
    unit: 'stats/s',
    uvkit: ['workloads/fs.mjs', '--impl', 'uvkit', '--mode', 'stat-sync'],
    node: ['workloads/fs.mjs', '--impl', 'node', '--mode', 'stat-sync'],
    c: withArgs(fsC, 'stat-sync'),
  },
  {
    name: 'fs.read of a cached 256 MiB file, 64 KiB chunks into one buffer (vs fs.read)',
    unit: 'MB/s',
    uvkit: ['workloads/fs.mjs', '--impl', 'uvkit', '--mode', 'read'],
    node: ['workloads/fs.mjs', '--impl', 'node', '--mode', 'read'],
    c: withArgs(fsC, 'read', bigFilePath),
  },
  {
    name: "dns.getaddrinfo of 'localhost', 64 in flight (vs dns.lookup)",
    unit: 'lookups/s',
    uvkit: ['workloads/dns.mjs', '--impl', 'uvkit'],
    node: ['workloads/dns.mjs', '--impl', 'node'],
  },
  {
    name: 'Thread-pool round trip: queueWork(work.fill(16 B)) vs crypto.randomFill(16 B), 64 in flight',
    unit: 'tasks/s',
    uvkit: ['workloads/work.mjs', '--impl', 'uvkit'],
    node: ['workloads/work.mjs', '--impl', 'node'],
  },
  {
    name: 'Memory per idle reading connection (1,000; JS heap + RSS)',
    unit: 'bytes (lower is better)',
    lowerIsBetter: true,
    uvkit: ['workloads/idle-memory.mjs', '--impl', 'uvkit'],
    node: ['workloads/idle-memory.mjs', '--impl', 'node'],
  },
].filter((w) => only.length === 0 || only.some((o) => w.name.toLowerCase().includes(o.toLowerCase())));

function measure(args) {
  const [cmd, cmdArgs] = args.binary ? [args.binary, args.args ?? []] : [process.execPath, ['--expose-gc', ...args]];
  const result = spawnSync(cmd, cmdArgs, { cwd: here, encoding: 'utf8', timeout: 300_000 });
  const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (result.status !== 0 || !line) {
    throw new Error(`bench child failed (${args.join(' ')}): status ${result.status}\n${result.stderr}`);
  }
  return JSON.parse(line.slice(7)).value;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmt(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(1);
}

const samples = workloads.map(() => ({ uvkit: [], node: [], c: [] }));
const total = reps * workloads.reduce((n, w) => n + (w.c?.binary ? 3 : 2), 0);
let done = 0;
for (let r = 0; r < reps; r++) {
  workloads.forEach((w, i) => {
    const order = r % 2 === 0 ? ['uvkit', 'node'] : ['node', 'uvkit'];
    if (w.c?.binary) order.push('c');
    for (const impl of order) {
      process.stderr.write(`\r[bench] round ${r + 1}/${reps}  ${++done}/${total}  ${w.name.slice(0, 50).padEnd(50)}`);
      samples[i][impl].push(measure(w[impl]));
    }
  });
}
process.stderr.write('\n');

const stats = (v) => ({ median: median(v), min: Math.min(...v), max: Math.max(...v), samples: v });
const rows = workloads.map((w, i) => {
  const { uvkit: u, node: n, c } = samples[i];
  return {
    workload: w.name,
    unit: w.unit,
    uvkit: stats(u),
    node: stats(n),
    ratio: w.lowerIsBetter ? median(n) / median(u) : median(u) / median(n),
    c: c.length > 0 ? { ...stats(c), libuv: w.c.version, uvkitOverC: median(u) / median(c) } : w.c ? { skipped: w.c.skipped } : undefined,
  };
});

console.log(`\nuvkit vs Node builtins (node ${process.version}, libuv ${process.versions.uv}, ${reps} rounds, medians [min-max]; ratio > 1: uvkit better)\n`);
console.log('| workload | unit | uvkit | node | uvkit/node | C libuv (same work) | uvkit/C |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const cell = (s) => `${fmt(s.median)} [${fmt(s.min)}-${fmt(s.max)}]`;
  const c = r.c === undefined ? ['-', '-'] : r.c.skipped ? ['skipped', '-'] : [`${cell(r.c)} (libuv ${r.c.libuv})`, `${r.c.uvkitOverC.toFixed(2)}x`];
  console.log(`| ${r.workload} | ${r.unit} | ${cell(r.uvkit)} | ${cell(r.node)} | ${r.ratio.toFixed(2)}x | ${c[0]} | ${c[1]} |`);
}
for (const r of rows) if (r.c?.skipped) console.log(`\nC reference skipped for "${r.workload}": ${r.c.skipped}`);
mkdirSync(path.join(here, 'results'), { recursive: true });
const out = path.join(here, 'results', 'latest.json');
writeFileSync(out, JSON.stringify({ node: process.version, uv: process.versions.uv, reps, date: new Date().toISOString(), rows }, null, 2));
console.log(`\nresults: ${path.relative(process.cwd(), out)}`);
