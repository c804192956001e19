// Wake-up to callback: uvkit Async.send() -> callback, re-sent from the callback, on a private loop
// run synchronously; vs a setImmediate chain on Node's loop.
import { Async, Loop } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const N = Number(arg('n', 1e6));
let count = 0;
const start = process.hrtime.bigint();

if (impl === 'node') {
  const step = () => {
    if (++count === N) {
      const s = seconds(start);
      report(N / s, { seconds: s });
      return;
    }
    setImmediate(step);
  };
  setImmediate(step);
} else {
  const loop = new Loop();
  const async = new Async(loop, (handle) => {
    if (++count === N) handle.close();
    else handle.send();
  });
  async.send();
  loop.run();
  const s = seconds(start);
  loop.close();
  report(N / s, { seconds: s });
}
