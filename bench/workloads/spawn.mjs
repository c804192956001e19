// Child processes: Process.spawn against child_process.spawn, the same commands and waiting.
//   --mode seq         N sequential /bin/true, each waited for (exit) before the next: spawns/s
//   --mode concurrent  batches of 200 concurrent `sh -c 'echo $0 $1'` with stdout read to EOF and
//                      the exit waited for: commands/s (200 x batches / wall time)
//   --mode cat         `cat` of a 256 MiB file 4 times (1 GiB) read through the child's stdout pipe: MB/s
//   --heap MiB         first allocate and touch this many MiB of Buffers (fork copies their page
//                      tables; posix_spawn does not)
//   --buffer KiB       uvkit reads into one caller buffer of this size (startRead({ buffer }))
//   --impl uvkit | uvkit-uvspawn (fastPath: false) | node
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pipe, Process } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const mode = arg('mode', 'seq');
const heapMiB = Number(arg('heap', 0));
const fastPath = impl !== 'uvkit-uvspawn';
const uvkit = impl !== 'node';
const readBuffer = arg('buffer') !== undefined ? Buffer.allocUnsafe(Number(arg('buffer')) * 1024) : undefined;

// Kept alive (and touched) until the end, so the parent really is that large.
const heap = [];
for (let i = 0; i < heapMiB; i++) heap.push(Buffer.alloc(1 << 20, i & 0xff));

function spawnTrue() {
  return new Promise((resolve) => {
    if (uvkit) Process.spawn({ file: '/bin/true', fastPath, onExit() { this.close(resolve); } });
    else spawn('/bin/true', [], { stdio: 'ignore' }).on('exit', resolve);
  });
}

// Resolves with the bytes read from the child's stdout, once it has exited and its stdout ended.
function capture(file, args, onChunk) {
  return new Promise((resolve) => {
    let pending = 2;
    let bytes = 0;
    const done = () => --pending === 0 && resolve(bytes);
    if (uvkit) {
      const out = new Pipe();
      Process.spawn({ file, args, fastPath, stdio: ['ignore', { pipe: out }], onExit() { this.close(done); } });
      out.startRead(
        (err, data) => {
          if (data === null) return out.close(done);
          bytes += data.length;
          onChunk?.(data);
        },
        { buffer: readBuffer },
      );
    } else {
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.on('data', (data) => {
        bytes += data.length;
        onChunk?.(data);
      });
      child.on('close', () => resolve(bytes)); // after the exit and the end of stdout
    }
  });
}

async function sequential() {
  // child_process with a large parent does ~26/s here: fewer of them keep the run short.
  const n = Number(arg('n', heapMiB > 0 && !uvkit ? 100 : 1000));
  await spawnTrue(); // warm-up (first spawn pays one-time setup)
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await spawnTrue();
  const s = seconds(start);
  report(n / s, { seconds: s, n, heapMiB });
}

async function concurrent() {
  const batches = Number(arg('batches', 3));
  const width = 200;
  await capture('sh', ['-c', 'echo $0 $1', 'warm', 'up']);
  const start = process.hrtime.bigint();
  for (let b = 0; b < batches; b++) {
    const runs = [];
    for (let i = 0; i < width; i++) runs.push(capture('sh', ['-c', 'echo $0 $1', `child${i}`, 'done']));
    const sizes = await Promise.all(runs);
    if (sizes.some((size, i) => size !== `child${i} done\n`.length)) throw new Error('output missing');
  }
  const s = seconds(start);
  report((batches * width) / s, { seconds: s, batches, width });
}

async function cat() {
  const size = 256 << 20;
  const file = path.join(tmpdir(), 'uvkit-bench-cat-256M');
  if (!existsSync(file) || statSync(file).size !== size) {
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
    writeFileSync(file, Buffer.concat(Array.from({ length: 256 }, () => block)));
  }
  const start = process.hrtime.bigint();
  const bytes = await capture('cat', [file, file, file, file]);
  const s = seconds(start);
  if (bytes !== 4 * size) throw new Error(`read ${bytes} bytes, expected ${4 * size}`);
  report(bytes / 1e6 / s, { seconds: s, bytes });
}

await { seq: sequential, concurrent, cat }[mode]();
heap.length = 0;
