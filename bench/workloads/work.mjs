// Thread-pool round trips: loop.queueWork(work.fill()) of 16 bytes against crypto.randomFill() of
// 16 bytes, both trivial work on libuv's pool; what is measured is the hand-off to a pool thread
// and back and the callback. N tasks, at most --concurrency in flight. --impl uvkit | node
import { randomFill } from 'node:crypto';
import { Loop, work } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const N = Number(arg('n', 200_000));
const concurrency = Number(arg('concurrency', 64));
const loop = Loop.default();

const buffers = Array.from({ length: concurrency }, () => Buffer.alloc(16));
const tasks = buffers.map((buffer) => work.fill(buffer, 1));
const once =
  impl === 'node'
    ? (slot, done) => randomFill(buffers[slot], (err) => done(err))
    : (slot, done) => loop.queueWork(tasks[slot], (err) => done(err));

await new Promise((resolve, reject) => {
  let started = 0;
  let finished = 0;
  const t0 = process.hrtime.bigint();
  const next = (slot) => {
    if (started === N) return;
    started++;
    once(slot, (err) => {
      if (err) return reject(err);
      if (++finished === N) {
        const s = seconds(t0);
        report(N / s, { seconds: s });
        resolve();
      } else next(slot);
    });
  };
  for (let i = 0; i < concurrency; i++) next(i);
});
