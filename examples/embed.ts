// A private loop driven from Node's own loop without blocking it (loop.embed()): its timers fire
// while Node keeps serving setInterval. Run: npx tsx examples/embed.ts
import { Loop, Timer } from '../src/ts/index.js';

const loop = new Loop();
loop.embed();

let nodeTicks = 0;
const interval = setInterval(() => nodeTicks++, 5);

const timer = new Timer(loop);
let fired = 0;
timer.start(
  () => {
    fired++;
    console.log(`private-loop timer fired (${fired}); Node's setInterval ran ${nodeTicks} times so far`);
    if (fired === 3) {
      timer.close(() => {
        clearInterval(interval);
        // A loop cannot be closed from inside its own callbacks (ERR_LOOP_RUNNING): do it next turn.
        setImmediate(() => {
          loop.close();
          console.log("done: the private loop ran inside Node's loop");
        });
      });
    }
  },
  50,
  50,
);
