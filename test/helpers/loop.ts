// Driving loops in tests: private loops run with a guard, Node's loop awaited until a condition.
import { Check, Timer, type Loop } from '../../src/ts/index.js';
import { tick } from './assert.js';

// Private loops: run() with a guard. The guard timer is unreferenced (it never keeps the loop
// alive) and stops run() if the loop still has work after the guard's time: a callback that never
// comes then fails the test with a message instead of hanging it.
export const GUARD_MS = 10_000;

/** Runs a private loop until it has no referenced work left; throws if the guard had to stop it. */
export function runToEnd(loop: Loop, guardMs = GUARD_MS): void {
  const guard = new Timer(loop);
  let timedOut = false;
  guard.start(() => {
    timedOut = true;
    loop.stop();
  }, guardMs);
  guard.unref();
  try {
    loop.run();
  } finally {
    guard.close();
  }
  if (timedOut) throw new Error(`loop.run() still had work after ${guardMs} ms (a callback never came?)`);
}

/** Runs a private loop until `done()` holds (checked after each round of I/O, and every 2 ms). */
export function runUntil(loop: Loop, done: () => boolean, what: string, guardMs = GUARD_MS): void {
  if (done()) return;
  const guard = new Timer(loop);
  const check = new Check(loop);
  let timedOut = false;
  guard.start(() => {
    timedOut = true;
    loop.stop();
  }, guardMs);
  guard.unref();
  check.start(() => {
    if (done()) loop.stop();
  });
  check.unref();
  // done() may turn true in a close callback, after this round's check: look again every 2 ms.
  const poll = new Timer(loop);
  poll.start(() => undefined, 2, 2);
  poll.unref();
  try {
    loop.run();
  } finally {
    guard.close();
    check.close();
    poll.close();
  }
  if (!done()) throw new Error(`${what}: ${timedOut ? `not done after ${guardMs} ms` : 'the loop ran out of work first'}`);
}

/** Turns Node's loop until `cond()` holds; fails the test after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs} ms`);
    await tick();
  }
}
