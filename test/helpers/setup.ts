// The leak-checking harness (pyuv's TestLoop did the same): after every test, no handle the test
// created may still be open, every private loop must close cleanly, every uv handle must be
// freed once Node's loop has run the pending close callbacks, and no fs request may be in flight.
import { afterEach } from 'vitest';
import { binding } from '../../src/ts/binding.js';
import '../../src/ts/index.js';
import { Loop, openPrivateLoops } from '../../src/ts/loop.js';

function describeHandles(handles: readonly { constructor: { name: string } }[]): string {
  return handles.map((h) => h.constructor.name).join(', ');
}

async function turnNodeLoop(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

afterEach(async () => {
  const problems: string[] = [];

  const open = Loop.default().handles.filter((h) => !h.closing && !h.closed);
  if (open.length > 0) {
    problems.push(`the test left ${open.length} handle(s) open on Loop.default(): ${describeHandles(open)}`);
    for (const h of open) void h.close();
  }

  for (const loop of openPrivateLoops()) {
    const live = loop.handles.filter((h) => !h.closing && !h.closed);
    if (live.length > 0) problems.push(`the test left ${live.length} handle(s) open on a private loop: ${describeHandles(live)}`);
    try {
      loop.close();
    } catch (error) {
      problems.push(`a private loop did not close cleanly: ${String(error)}`);
    }
  }

  // At least one turn after every test: a file of synchronous tests (spawnSync children) would
  // otherwise never let the worker read vitest's RPC replies, whose 60 s timeout then fires.
  let turns = 0;
  do await turnNodeLoop();
  while (++turns < 200 && binding.debugCounts().uvHandles > 0);
  const counts = binding.debugCounts();
  if (counts.handles !== 0 || counts.uvHandles !== 0) {
    problems.push(`handles still alive after the test: ${JSON.stringify(counts)}`);
  }

  // fs and DNS requests libuv has not called back yet (private loops' ones ended with their
  // close()): a request on Node's loop may still be in the thread pool; give it a moment, then it
  // is a leak (a callback that never comes, or a thread left blocked).
  const requests = (): number => binding.debugCounts().fsRequests + binding.debugCounts().poolRequests;
  const requestDeadline = Date.now() + 2_000;
  for (let i = 0; requests() > 0 && Date.now() < requestDeadline; i++) {
    if (i < 200) await turnNodeLoop();
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const { fsRequests, poolRequests } = binding.debugCounts();
  if (fsRequests !== 0) problems.push(`${fsRequests} fs request(s) still in flight after the test`);
  if (poolRequests !== 0) problems.push(`${poolRequests} DNS or work request(s) still in flight after the test`);

  if (problems.length > 0) throw new Error(`leak check failed:\n  ${problems.join('\n  ')}`);
});
