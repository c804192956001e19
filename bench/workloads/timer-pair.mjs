// The cost of one start/stop pair: uvkit Timer.start + stop vs setTimeout + clearTimeout.
import { Bench } from 'tinybench';
import { Timer } from '../../dist/index.js';
import { arg, report } from './common.mjs';

const impl = arg('impl', 'uvkit');
const bench = new Bench({ time: 1000, warmupTime: 200 });
const noop = () => {};
if (impl === 'node') {
  bench.add('pair', () => clearTimeout(setTimeout(noop, 1000)));
} else {
  const timer = new Timer();
  bench.add('pair', () => {
    timer.start(noop, 1000);
    timer.stop();
  });
  bench.opts = bench.opts ?? {};
  process.on('beforeExit', () => timer.close(noop));
}
await bench.run();
const task = bench.tasks[0];
const hz = task.result?.throughput?.mean ?? task.result?.hz;
report(hz);
process.exit(0);
