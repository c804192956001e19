// fs: stat of one path (callback form with 64 in flight, promises with 64 in flight, sync), and a
// sequential read of a 256 MiB file in 64 KiB chunks into one reused buffer. uvkit's fs vs Node's.
import nodeFs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fs } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const mode = arg('mode', 'stat-cb');
const api = impl === 'node' ? { stat: nodeFs.stat, statP: nodeFs.promises.stat, statSync: nodeFs.statSync, read: nodeFs.read } : { stat: fs.stat, statP: fs.stat, statSync: fs.statSync, read: fs.read };
const TARGET = '.';
const INFLIGHT = 64;

function statCallbacks(total) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let finished = 0;
    const onStat = (err) => {
      if (err) return reject(err);
      if (++finished === total) return resolve();
      if (started < total) {
        started++;
        api.stat(TARGET, onStat);
      }
    };
    for (; started < INFLIGHT; started++) api.stat(TARGET, onStat);
  });
}

async function statPromises(total) {
  let left = total;
  const worker = async () => {
    while (left-- > 0) await api.statP(TARGET);
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
}

function statSync(total) {
  for (let i = 0; i < total; i++) api.statSync(TARGET);
}

// A 256 MiB file of non-zero bytes in the temp dir, made once and reused by later runs.
function bigFile() {
  const file = path.join(os.tmpdir(), 'uvkit-bench-256m.bin');
  const size = 256 * 1024 * 1024;
  if (!nodeFs.existsSync(file) || nodeFs.statSync(file).size !== size) {
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    const fd = nodeFs.openSync(`${file}.tmp`, 'w');
    for (let i = 0; i < 256; i++) nodeFs.writeSync(fd, chunk);
    nodeFs.closeSync(fd);
    nodeFs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

function readAll(fd, buffer) {
  return new Promise((resolve, reject) => {
    let total = 0;
    const onRead = (err, n) => {
      if (err) return reject(err);
      if (n === 0) return resolve(total);
      total += n;
      api.read(fd, buffer, 0, buffer.length, null, onRead);
    };
    api.read(fd, buffer, 0, buffer.length, null, onRead);
  });
}

async function timed(fn, count) {
  await fn(Math.min(count, 20_000)); // warm-up
  const start = process.hrtime.bigint();
  await fn(count);
  return count / seconds(start);
}

if (mode === 'stat-cb') report(await timed(statCallbacks, 100_000));
else if (mode === 'stat-promise') report(await timed(statPromises, 100_000));
else if (mode === 'stat-sync') report(await timed(statSync, 300_000));
else if (mode === 'read') {
  const file = bigFile();
  const buffer = Buffer.alloc(64 * 1024);
  const fd = nodeFs.openSync(file, 'r');
  await readAll(fd, buffer); // warm the page cache
  nodeFs.closeSync(fd);
  const fd2 = nodeFs.openSync(file, 'r');
  const start = process.hrtime.bigint();
  const bytes = await readAll(fd2, buffer);
  const s = seconds(start);
  nodeFs.closeSync(fd2);
  report(bytes / 1e6 / s);
} else throw new Error(`unknown mode ${mode}`);
process.exit(0);
