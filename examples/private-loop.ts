// A private event loop run synchronously, pyuv-style: timers and loop watchers, an error handler,
// stop() and resume, then close(). Run: npx tsx examples/private-loop.ts
import { Check, Idle, Loop, Prepare, Timer } from '../src/ts/index.js';

const loop = new Loop();
let iterations = 0;
let ticks = 0;

const prepare = new Prepare(loop);
prepare.start(() => iterations++);
const check = new Check(loop);
check.start(() => {});

const ticker = new Timer(loop);
ticker.start(
  (t) => {
    ticks++;
    if (ticks === 3) loop.stop(); // run() returns after this iteration; a later run() resumes
    if (ticks === 5) t.close();
  },
  10,
  10,
);

// A callback error stops run() and is rethrown by it, unless loop.onError handles it.
const failing = new Timer(loop);
failing.start(() => {
  throw new Error('callback failed');
}, 15);
try {
  loop.run();
} catch (error) {
  console.log(`run() rethrew: ${(error as Error).message}`);
}
console.log(`stopped after ${ticks} ticks`);

loop.onError = (error, handle) => console.log(`onError: ${(error as Error).message} from ${handle?.constructor.name}`);
const idle = new Idle(loop);
idle.start((h) => {
  h.close();
  throw new Error('handled by onError');
});

loop.run('default'); // resumes until nothing referenced remains... the watchers are still active:
prepare.close();
check.close();
loop.run();
console.log(`ticks: ${ticks}, loop iterations seen by Prepare: ${iterations}`);
loop.close();
console.log(`loop closed: ${loop.closed}`);
