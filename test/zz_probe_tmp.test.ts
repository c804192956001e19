import { it, expect } from 'vitest';
import { Loop, Timer } from '../src/ts/index.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
it('probe', async () => {
  Loop.default();
  for (const label of ['empty', 'timer10s', 'empty', 'timer10s']) {
    const l2 = new Loop();
    let t2: Timer | undefined;
    if (label === 'timer10s') { t2 = new Timer(l2); t2.start(() => {}, 10000); }
    l2.embed();
    await sleep(50);
    const c0 = process.cpuUsage(); const m0 = l2.metrics();
    const w0 = performance.now();
    await sleep(300);
    const c = process.cpuUsage(c0); const m1 = l2.metrics();
    console.log(label, 'cpu ms', (c.user + c.system) / 1000, 'wall', performance.now() - w0, m0, m1);
    l2.close();
  }
  expect(1).toBe(1);
});
