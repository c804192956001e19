// Lifecycle cases that cross the GC and the loop: handles whose JS wrapper is gone (its finalizer
// maybe still queued) must still be closed cleanly by loop.close().
import { describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Loop, Prepare, Timer } from '../src/ts/index.js';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

describe('lifecycle across GC', () => {
  it('loop.close() closes handles whose wrappers were collected but not yet finalized', () => {
    const loop = new Loop();
    const before = binding.debugCounts().handles;
    for (let i = 0; i < 1000; i++) new Timer(loop);
    for (let i = 0; i < 100; i++) new Prepare(loop);
    gc();
    gc();
    expect(() => loop.close()).not.toThrow();
    expect(loop.closed).toBe(true);
    expect(binding.debugCounts().handles).toBe(before);
  });

  it('raw binding handles dropped and collected leave a closable loop', () => {
    const loop = new Loop();
    for (let i = 0; i < 1000; i++) new binding.Timer(loop);
    gc();
    loop.close();
    expect(loop.closed).toBe(true);
    expect(binding.debugCounts().uvHandles).toBe(0);
  });
});
