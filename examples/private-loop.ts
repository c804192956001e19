// A private event loop run synchronously, pyuv-style. Run: npx tsx examples/private-loop.ts
import { Check, Idle, Loop, Prepare, Timer } from '../src/ts/index.js';

const loop = new Loop();

// 1. Timers and loop watchers; stop() makes run() return, a later run() resumes.
let iterations = 0;
let ticks = 0;
const prepare = new Prepare(loop);
prepare.start(() => iterations++);
const ticker = new Timer(loop);
ticker.start(
  (t) => {
    ticks++;
    if (ticks === 2) loop.stop();
    if (ticks === 5) {
      t.close();
      prepare.close();
    }
  },
  10,
  10,
);
loop.run();
console.log(`run() returned after stop(): ticks = ${ticks}`);
loop.run();
console.log(`run() returned when no work was left: ticks = ${ticks}, loop iterations seen by Prepare = ${iterations}`);

// 2. A callback error stops run(), which rethrows it.
const failing = new Timer(loop);
failing.start(() => {
  failing.close();
  throw new Error('callback failed');
}, 1);
try {
  loop.run();
} catch (error) {
  console.log(`run() rethrew: ${(error as Error).message}`);
}

// 3. With loop.onError set, errors go to the handler and run() goes on (pyuv's excepthook).
loop.onError = (error, handle) => console.log(`onError: ${(error as Error).message} from ${handle?.constructor.name}`);
const idle = new Idle(loop);
idle.start((h) => {
  h.close();
  throw new Error('handled by onError');
});
const check = new Check(loop);
check.start((h) => h.close());
loop.run();

loop.close();
console.log(`loop closed: ${loop.closed}`);
