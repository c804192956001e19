// Waking a loop from another thread: an Async handle's sender() token goes to a worker through
// workerData, and the worker wakes the loop with Async.send(token). Run: npx tsx examples/worker-wakeup.ts
import { Worker } from 'node:worker_threads';
import { Async } from '../src/ts/index.js';

const indexUrl = new URL('../dist/index.js', import.meta.url).href;
const wakeups = 5;
let received = 0;

const async = new Async(() => {
  received++;
  console.log(`woken by the worker (${received}/${wakeups})`);
  Atomics.store(ack, 0, received);
  Atomics.notify(ack, 0);
  if (received === wakeups) async.close();
});
const ack = new Int32Array(new SharedArrayBuffer(4));
const token = async.sender();

// Each send waits for the previous wake-up to be handled: sends made before the loop runs coalesce.
const worker = new Worker(
  `
  const { workerData } = require('node:worker_threads');
  import(workerData.indexUrl).then(({ Async }) => {
    for (let i = 1; i <= workerData.wakeups; i++) {
      Async.send(workerData.token);
      Atomics.wait(workerData.ack, 0, i - 1);
    }
  });
  `,
  { eval: true, workerData: { token, ack, wakeups, indexUrl } },
);
worker.on('exit', (code) => {
  // The handle is closed now: sending to its token is a harmless no-op that returns false.
  console.log(`worker exited with ${code}; Async.send(token) after close returned ${Async.send(token)}`);
});
