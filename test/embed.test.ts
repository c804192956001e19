// loop.embed(): a private loop driven from Node's loop without blocking it (pyuv's test_embed
// stepped one loop from another; uvkit does it with Node's loop as the outer one).
//
// Two kinds of tests:
// - In this process. Each embedded loop here holds a long referenced "keeper" timer so that it
//   never runs out of work while embedded (an embedded loop with nothing to do once froze Node's
//   loop; the child-process tests below check it no longer does, where a freeze is only a timeout).
// - In child processes, with a kill timeout, for the scenarios that can freeze or end the
//   process. They load dist/ (the compiled src/ts; `npm test` rebuilds it when stale).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Async, Loop, Prepare, Timer, type AsyncToken, type EmbedOptions } from '../src/ts/index.js';
import { codeOf, sleepSync, within } from './helpers/assert.js';
import { checkDistFresh, collect, type ChildResult } from './helpers/child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Leaves the embedded loop's turn. Promise jobs queued by an embedded callback run while Node is
 * still inside that loop's turn, where close()/run() throw ERR_LOOP_RUNNING (see the test
 * "close() right after awaiting an embedded callback"); a macrotask gets out of it.
 */
const leaveTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A private loop with a referenced 10-minute keeper timer, embedded into Node's loop. */
function embeddedLoop(options: EmbedOptions): { loop: Loop; keeper: Timer } {
  const loop = new Loop();
  const keeper = new Timer(loop);
  keeper.start(() => {}, 600_000);
  loop.embed(options);
  expect(loop.embedded).toBe(options.thread === true ? 'thread' : 'poll');
  return { loop, keeper };
}

async function closeLoop(loop: Loop): Promise<void> {
  await leaveTurn();
  if (!loop.closed) loop.close();
}

beforeAll(() => {
  // embed() once failed (ERR_FEATURE_UNAVAILABLE_ON_PLATFORM) until Loop.default() had been called
  // in the process; a child-process test below checks that in a fresh process. The in-process
  // tests cover the other behaviours and do not depend on it.
  Loop.default();
});

// Every behaviour holds for both ways of embedding: fd polling (the default on Linux and macOS) and
// the helper thread (the only way on Windows; chosen here with { thread: true }).
const MODES: Array<[string, EmbedOptions]> = [
  ['fd polling', {}],
  ['helper thread', { thread: true }],
];

describe.each(MODES)('embed() in this process, %s', (_mode, options) => {
  it("an embedded timer fires while Node's own timers keep firing (Node's loop is not blocked)", async () => {
    const { loop } = embeddedLoop(options);
    try {
      let intervals = 0;
      let immediates = 0;
      const interval = setInterval(() => {
        intervals++;
      }, 5);
      let immediateChain = true;
      const spin = (): void => {
        immediates++;
        if (immediateChain) setImmediate(spin);
      };
      setImmediate(spin);
      const timer = new Timer(loop);
      let calls = 0;
      let intervalsAtFire = -1;
      try {
        await within(
          new Promise<void>((resolve) => {
            timer.start(() => {
              calls++;
              intervalsAtFire = intervals;
              resolve();
            }, 100);
          }),
          30_000,
          'the embedded 100 ms timer',
        );
      } finally {
        clearInterval(interval);
        immediateChain = false;
      }
      expect(calls).toBe(1);
      expect(intervalsAtFire).toBeGreaterThanOrEqual(3);
      expect(immediates).toBeGreaterThanOrEqual(3);
      await sleep(30);
      expect(calls).toBe(1); // a one-shot timer fired once
      timer.close();
    } finally {
      await closeLoop(loop);
    }
    expect(loop.closed).toBe(true);
  });

  it('a repeating embedded timer fires exactly N times when it stops itself', async () => {
    const { loop } = embeddedLoop(options);
    try {
      const timer = new Timer(loop);
      let calls = 0;
      await within(
        new Promise<void>((resolve) => {
          timer.start((t) => {
            calls++;
            if (calls === 5) {
              t.stop();
              resolve();
            }
          }, 2, 2);
        }),
        30_000,
        'five ticks of an embedded repeating timer',
      );
      await sleep(50);
      expect(calls).toBe(5);
      timer.close();
    } finally {
      await closeLoop(loop);
    }
  });

  it('an Async woken through its token wakes the loop through its backend (no timeout, no nudge)', async () => {
    const { loop } = embeddedLoop(options);
    try {
      let token: AsyncToken | undefined;
      let calls = 0;
      const woken = new Promise<void>((resolve) => {
        const async = new Async(loop, () => {
          calls++;
          async.close();
          resolve();
        });
        token = async.sender();
      });
      await sleep(30); // creating the Async nudged the loop; that turn is long over
      expect(calls).toBe(0);
      // Async.send() is not a method of the loop's handles, so no nudge follows it: only the
      // backend's readiness (the loop's eventfd through epoll) can wake the loop now.
      setTimeout(() => Async.send(token as AsyncToken), 5);
      await within(woken, 30_000, 'the Async callback on the embedded loop');
      expect(calls).toBe(1);
    } finally {
      await closeLoop(loop);
    }
  });

  it('a timer started from a Node setTimeout callback fires without any other event', async () => {
    const { loop } = embeddedLoop(options);
    try {
      await sleep(20); // the embedded loop is now idle, waiting for its 10-minute keeper
      let calls = 0;
      const fired = new Promise<void>((resolve) => {
        setTimeout(() => {
          const timer = new Timer(loop);
          timer.start((t) => {
            calls++;
            t.close();
            resolve();
          }, 1);
        }, 10);
      });
      await within(fired, 30_000, 'a timer started on the embedded loop from Node');
      expect(calls).toBe(1);
    } finally {
      await closeLoop(loop);
    }
  });

  it('a Prepare started from Node on an embedded loop runs without any other event', async () => {
    const { loop } = embeddedLoop(options);
    try {
      await sleep(20);
      const prepare = new Prepare(loop);
      let calls = 0;
      await within(
        new Promise<void>((resolve) => {
          prepare.start((p) => {
            calls++;
            p.close(resolve);
          });
        }),
        30_000,
        'a Prepare on the embedded loop',
      );
      expect(calls).toBe(1);
      expect(prepare.closed).toBe(true);
    } finally {
      await closeLoop(loop);
    }
  });

  it('unembed() stops driving: a pending timer fires only at the next loop.run()', async () => {
    const { loop, keeper } = embeddedLoop(options);
    try {
      const timer = new Timer(loop);
      let calls = 0;
      timer.start(() => {
        calls++;
      }, 20);
      loop.unembed();
      await sleep(150);
      expect(calls).toBe(0);
      keeper.close();
      expect(loop.run()).toBe(false);
      expect(calls).toBe(1);
      timer.close();
      loop.unembed(); // unembed() on a loop that is not embedded is harmless
      expect(loop.run()).toBe(false);
    } finally {
      await closeLoop(loop);
    }
  });

  it('embed() after unembed() drives the loop again', async () => {
    const { loop } = embeddedLoop(options);
    try {
      loop.unembed();
      loop.embed(options);
      const timer = new Timer(loop);
      let calls = 0;
      await within(
        new Promise<void>((resolve) => {
          timer.start(() => {
            calls++;
            resolve();
          }, 5);
        }),
        30_000,
        'a timer after re-embedding',
      );
      expect(calls).toBe(1);
      timer.close();
    } finally {
      await closeLoop(loop);
    }
  });

  it('embed() twice is harmless: a timer still fires exactly once', async () => {
    const { loop } = embeddedLoop(options);
    try {
      loop.embed(options);
      const timer = new Timer(loop);
      let calls = 0;
      await within(
        new Promise<void>((resolve) => {
          timer.start(() => {
            calls++;
            resolve();
          }, 5);
        }),
        30_000,
        'a timer on a twice-embedded loop',
      );
      await sleep(30);
      expect(calls).toBe(1);
      timer.close();
    } finally {
      await closeLoop(loop);
    }
  });

  it('embed() on Loop.default() throws ERR_LOOP_EXTERNAL', () => {
    expect(codeOf(() => Loop.default().embed())).toBe('ERR_LOOP_EXTERNAL');
  });

  it("an embedded callback's error goes to loop.onError with (error, handle); the loop keeps going", async () => {
    const { loop } = embeddedLoop(options);
    try {
      const error = new Error('embedded boom');
      const seen: Array<[unknown, unknown]> = [];
      loop.onError = (e, h) => {
        seen.push([e, h]);
      };
      const bad = new Timer(loop);
      const good = new Timer(loop);
      let goodCalls = 0;
      bad.start(() => {
        throw error;
      }, 2);
      await within(
        new Promise<void>((resolve) => {
          good.start(() => {
            goodCalls++;
            resolve();
          }, 40);
        }),
        30_000,
        'a timer after the failing one',
      );
      expect(seen).toHaveLength(1);
      expect(seen[0]?.[0]).toBe(error);
      expect(seen[0]?.[1]).toBe(bad);
      expect(goodCalls).toBe(1);
      bad.close();
      good.close();
    } finally {
      await closeLoop(loop);
    }
  });

  it('run() and close() inside an embedded callback throw ERR_LOOP_RUNNING', async () => {
    const { loop } = embeddedLoop(options);
    try {
      const timer = new Timer(loop);
      const codes = await within(
        new Promise<unknown[]>((resolve) => {
          timer.start(() => {
            resolve([codeOf(() => loop.run('nowait')), codeOf(() => loop.close())]);
          }, 2);
        }),
        30_000,
        'the embedded timer',
      );
      expect(codes).toEqual(['ERR_LOOP_RUNNING', 'ERR_LOOP_RUNNING']);
      expect(loop.closed).toBe(false);
      timer.close();
    } finally {
      await closeLoop(loop);
    }
  });

  it('run("nowait") from JS on an embedded loop runs due callbacks synchronously; embedding goes on', async () => {
    const { loop } = embeddedLoop(options);
    try {
      const timer = new Timer(loop);
      let calls = 0;
      timer.start(() => {
        calls++;
      }, 10);
      sleepSync(30);
      expect(loop.run('nowait')).toBe(true); // the keeper is still pending
      expect(calls).toBe(1);
      await within(
        new Promise<void>((resolve) => {
          timer.start(() => {
            calls++;
            resolve();
          }, 5);
        }),
        30_000,
        'a timer driven by Node after run()',
      );
      expect(calls).toBe(2);
      timer.close();
    } finally {
      await closeLoop(loop);
    }
  });

  it('close() of an embedded loop closes its handles (close callbacks run) and the loop', async () => {
    const { loop, keeper } = embeddedLoop(options);
    const timer = new Timer(loop);
    timer.start(() => {}, 10_000, 10_000);
    const prepare = new Prepare(loop);
    prepare.start(() => {});
    let closeCalls = 0;
    const closing = new Timer(loop);
    closing.close(() => {
      closeCalls++;
    });
    await sleep(20); // let Node's loop drive it a little first
    loop.close();
    expect(loop.closed).toBe(true);
    expect(closeCalls).toBe(1);
    for (const h of [keeper, timer, prepare, closing]) expect(h.closed).toBe(true);
    expect(codeOf(() => loop.embed(options))).toBe('ERR_LOOP_CLOSED');
    expect(codeOf(() => loop.unembed())).toBe('ERR_LOOP_CLOSED');
    // Node's loop is not disturbed by the closed embedding
    await sleep(20);
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('close() right after awaiting an embedded callback closes the loop', async () => {
    const { loop } = embeddedLoop(options);
    try {
      const timer = new Timer(loop);
      await within(
        new Promise<void>((resolve) => {
          timer.start(() => resolve(), 5);
        }),
        30_000,
        'the embedded timer',
      );
      // The natural way to use an embedded loop: await something it does, then close it.
      let error: unknown;
      try {
        loop.close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeUndefined();
      expect(loop.closed).toBe(true);
      expect(timer.closed).toBe(true);
    } finally {
      await closeLoop(loop);
    }
  });
});

describe('embed() options and state', () => {
  it("loop.embedded says how the loop is driven: 'poll', 'thread', or null", () => {
    const loop = new Loop();
    try {
      expect(loop.embedded).toBeNull();
      loop.embed();
      expect(loop.embedded).toBe('poll');
      loop.embed({ thread: true }); // already embedded: no change
      expect(loop.embedded).toBe('poll');
      loop.unembed();
      expect(loop.embedded).toBeNull();
      loop.embed({ thread: true });
      expect(loop.embedded).toBe('thread');
      loop.embed({ thread: false });
      expect(loop.embedded).toBe('thread');
      loop.unembed();
      loop.embed({ thread: false });
      expect(loop.embedded).toBe('poll');
    } finally {
      loop.close();
    }
    expect(loop.embedded).toBeNull();
  });

  it('bad options are rejected before anything is embedded', () => {
    const loop = new Loop();
    try {
      for (const bad of [1, 'thread', null, [], true]) {
        expect(codeOf(() => loop.embed(bad as never))).toBe('ERR_INVALID_ARG_TYPE');
      }
      for (const bad of [1, 'yes', null, {}]) {
        expect(codeOf(() => loop.embed({ thread: bad as never }))).toBe('ERR_INVALID_ARG_TYPE');
      }
      expect(loop.embedded).toBeNull();
    } finally {
      loop.close();
    }
  });

  it('unembed() from inside an embedded callback stops the helper thread cleanly; embed() resumes', async () => {
    const loop = new Loop();
    const keeper = new Timer(loop);
    keeper.start(() => {}, 600_000);
    loop.embed({ thread: true });
    try {
      const timer = new Timer(loop);
      await within(
        new Promise<void>((resolve) => {
          timer.start(() => {
            loop.unembed();
            resolve();
          }, 5);
        }),
        30_000,
        'the embedded timer',
      );
      expect(loop.embedded).toBeNull();
      loop.embed({ thread: true });
      await within(
        new Promise<void>((resolve) => {
          timer.start(() => resolve(), 5);
        }),
        30_000,
        'the timer after re-embedding',
      );
    } finally {
      await closeLoop(loop);
    }
  });
});

// --- child processes ---

/** Runs an ES module in a fresh Node with `uvkit` importable; kills it after `timeoutMs`. */
function runChildWith(body: string, timeoutMs = 10_000): Promise<ChildResult> {
  checkDistFresh();
  const entry = pathToFileURL(path.join(root, 'dist/index.js')).href;
  const source = `import { Loop, Timer, Idle, Prepare } from ${JSON.stringify(entry)};\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, timeoutMs);
}

/** The parts of a child's result a test asserts on, in one object (a failure shows all of them). */
function outcome(r: ChildResult): { status: number | null; timedOut: boolean; stdout: string; stderr: string } {
  return { status: r.status, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr.trim().split('\n').slice(0, 6).join('\n') };
}

describe.each(MODES)('embed() in child processes, %s', (_mode, options) => {
  const runChild = (body: string, timeoutMs?: number) => runChildWith(`const EMBED = ${JSON.stringify(options)};\n${body}`, timeoutMs);

  it('embed() works in a fresh process where Loop.default() was never called', async () => {
    const r = await runChild(`
      const loop = new Loop();
      const keeper = new Timer(loop);
      keeper.start(() => {}, 600000);
      const timer = new Timer(loop);
      timer.start(() => {
        console.log('fired');
        setTimeout(() => { loop.close(); console.log('closed'); }, 1);
      }, 10);
      loop.embed(EMBED);
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'fired\nclosed\n', stderr: '' });
  });

  it("an embedded loop whose only timer has fired does not freeze Node's loop", async () => {
    const r = await runChild(`
      Loop.default();
      const loop = new Loop();
      const timer = new Timer(loop);
      timer.start(() => { console.log('fired'); timer.close(); }, 20);
      loop.embed(EMBED);
      setTimeout(() => { console.log('node timer'); loop.close(); console.log('closed'); }, 300);
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'fired\nnode timer\nclosed\n', stderr: '' });
  });

  it("embedding an empty loop does not freeze Node's loop", async () => {
    const r = await runChild(`
      Loop.default();
      const loop = new Loop();
      loop.embed(EMBED);
      setTimeout(() => { console.log('node timer'); loop.close(); console.log('closed'); }, 50);
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'node timer\nclosed\n', stderr: '' });
  });

  it("an active Idle on an embedded loop runs without freezing Node's loop", async () => {
    const r = await runChild(`
      Loop.default();
      const loop = new Loop();
      const keeper = new Timer(loop);
      keeper.start(() => {}, 600000);
      const idle = new Idle(loop);
      let calls = 0;
      idle.start(() => { calls++; });
      loop.embed(EMBED);
      setTimeout(() => {
        console.log(calls > 0 ? 'idle ran' : 'idle did not run');
        loop.close();
        console.log('closed');
      }, 100);
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'idle ran\nclosed\n', stderr: '' });
  });

  it('an embedded loop with pending referenced work keeps Node alive until it is done', async () => {
    const r = await runChild(`
      Loop.default();
      const loop = new Loop();
      const timer = new Timer(loop);
      timer.start(() => {
        console.log('fired');
        timer.close();
        loop.unembed(); // from here nothing keeps Node alive
      }, 200);
      loop.embed(EMBED);
      process.on('exit', () => console.log('exit'));
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'fired\nexit\n', stderr: '' });
  });

  it('Node exits by itself once an embedded loop has no referenced work left', async () => {
    const r = await runChild(`
      Loop.default();
      const loop = new Loop();
      const timer = new Timer(loop);
      timer.start(() => { console.log('fired'); timer.close(); }, 50);
      loop.embed(EMBED);
      process.on('exit', () => console.log('exit'));
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'fired\nexit\n', stderr: '' });
  });

  it("without onError, an embedded callback's error reaches process 'uncaughtException'", async () => {
    const r = await runChild(`
      Loop.default();
      const loop = new Loop();
      const keeper = new Timer(loop);
      keeper.start(() => {}, 600000);
      const timer = new Timer(loop);
      process.on('uncaughtException', (error) => {
        console.log('uncaught: ' + error.message);
        setTimeout(() => { loop.close(); console.log('closed'); }, 1);
      });
      timer.start(() => { throw new Error('embedded boom'); }, 10);
      loop.embed(EMBED);
    `);
    expect(outcome(r)).toEqual({ status: 0, timedOut: false, stdout: 'uncaught: embedded boom\nclosed\n', stderr: '' });
  });
});
