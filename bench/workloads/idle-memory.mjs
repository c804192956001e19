// Memory per idle connection: `n` client connections to a sink in a child process, each reading
// (uvkit: startRead; Node: a 'data' listener), then nothing happens. Reports the growth of JS heap
// + RSS, per connection, after a full GC, against the same process before connecting.
// --impl uvkit | node   --n 1000
import { spawn } from 'node:child_process';
import net from 'node:net';
import { TCP } from '../../dist/index.js';
import { arg, report } from './common.mjs';

const impl = arg('impl', 'uvkit');
const n = Number(arg('n', 1000));

const sink = spawn(process.execPath, [new URL('./sink.mjs', import.meta.url).pathname, '--many'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => {
  let out = '';
  sink.stdout.on('data', (d) => {
    out += d;
    const m = /PORT (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
async function footprint() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await settle();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.rss;
}

// Warm up each side's code paths with one connection, so the baseline includes loaded code.
async function connectUvkit() {
  const c = new TCP();
  await c.connect({ address: '127.0.0.1', port });
  c.startRead(() => {});
  return c;
}
function connectNode() {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('data', () => {});
  });
}
const connect = impl === 'node' ? connectNode : connectUvkit;
const warm = await connect();
const before = await footprint();
const held = [];
for (let i = 0; i < n; i++) held.push(await connect());
const after = await footprint();
report((after - before) / n, { connections: n });
for (const c of [warm, ...held]) (impl === 'node' ? c.destroy() : c.close());
sink.kill();
