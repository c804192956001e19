/**
 * Runs a function soon, on a given loop: what process.nextTick is for Node's loop. A private
 * loop's run() does not turn Node's loop, so a callback deferred with nextTick from inside it
 * would only run after run() returned; here it runs in the same run(), from an Idle handle that
 * exists only while something is waiting (so it never holds a loop open or shows in the leak
 * checks of idle loops).
 */
import { forEachCallback } from './handle.js';
import type { Loop } from './loop.js';
import { Idle } from './watchers.js';

interface Pending {
  idle: Idle;
  queue: Array<() => void>;
}

const pendingByLoop = new WeakMap<Loop, Pending>();

export function callSoon(loop: Loop, fn: () => void): void {
  if (loop.isDefault) {
    process.nextTick(fn);
    return;
  }
  const pending = pendingByLoop.get(loop);
  if (pending !== undefined) {
    pending.queue.push(fn);
    return;
  }
  const idle = new Idle(loop);
  const entry: Pending = { idle, queue: [fn] };
  pendingByLoop.set(loop, entry);
  idle.start(() => {
    // Functions deferred by these run on the next turn (a new Idle), as with nextTick chains.
    const queue = entry.queue;
    pendingByLoop.delete(loop);
    void idle.close();
    forEachCallback(queue, (run) => run(), idle);
  });
}
