// 1e6 timers of 1..10 ms, each fired once and then released (the libuv C benchmark does the same:
// init, start, fire, close). --impl uvkit | uvkit-private | node
import { Loop, Timer } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const N = Number(arg('n', 1e6));
let fired = 0;
const start = process.hrtime.bigint();

function finish() {
  const s = seconds(start);
  report(N / s, { seconds: s });
}

if (impl === 'node') {
  const onFire = () => {
    if (++fired === N) finish();
  };
  for (let i = 0; i < N; i++) setTimeout(onFire, 1 + (i % 10));
} else {
  const loop = impl === 'uvkit-private' ? new Loop() : Loop.default();
  const noop = () => {};
  const onFire = (timer) => {
    timer.close(noop);
    if (++fired === N) finish();
  };
  for (let i = 0; i < N; i++) new Timer(loop).start(onFire, 1 + (i % 10));
  if (impl === 'uvkit-private') {
    loop.run();
    loop.close();
  }
}
