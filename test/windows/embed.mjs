// Windows (run by scripts/windows-check.mjs under Wine): a private loop embedded in Node's loop has
// no pollable backend fd there, so embed() takes the helper thread, whose wait is
// GetQueuedCompletionStatus on the loop's IOCP. Timers, TCP completions (IOCP packets the helper
// takes and hands back to libuv) and Async wake-ups must reach the embedded loop while Node's own
// timers keep running; unembed(), embedding again and close() while embedded end cleanly.
import assert from 'node:assert/strict';
import { Async, Loop, TCP, Timer } from '../../dist/index.js';

const started = Date.now();
const loop = new Loop();
assert.equal(loop.backendFd(), -1, 'a Windows loop has no pollable backend fd');
loop.embed();
assert.equal(loop.embedded, 'thread');
console.log('embed() chose the helper thread');

let nodeTicks = 0;
const nodeTimer = setInterval(() => nodeTicks++, 5);

function timerOnce(ms) {
  return new Promise((resolve) => {
    const timer = new Timer(loop);
    const t0 = Date.now();
    timer.start(() => timer.close(() => resolve(Date.now() - t0)), ms);
  });
}

const waited = await timerOnce(50);
assert.ok(waited >= 45 && waited < 2000, `a 50 ms timer fired after ${waited} ms`);
console.log(`50 ms timer fired after ${waited} ms`);

// A timer added while the helper already waits with a longer timeout must not wait for it.
const long = new Timer(loop);
long.start(() => {}, 10_000);
await new Promise((resolve) => setTimeout(resolve, 20));
const short = await timerOnce(10);
assert.ok(short < 2000, `a 10 ms timer added during a 10 s wait fired after ${short} ms`);
long.close();
console.log(`10 ms timer added during a 10 s wait fired after ${short} ms`);

function echo(message, rounds) {
  return new Promise((resolve, reject) => {
    const server = new TCP(loop);
    server.bind({ address: '127.0.0.1', port: 0 });
    server.listen((err) => {
      if (err) return reject(err);
      const conn = new TCP(loop);
      server.accept(conn);
      conn.startRead((error, data) => {
        if (error) return reject(error);
        if (data === null) return conn.close();
        conn.write(Buffer.from(data));
      });
    });
    const client = new TCP(loop);
    let received = '';
    let round = 0;
    client.connect({ address: '127.0.0.1', port: server.getsockname().port }, (err) => {
      if (err) return reject(err);
      client.startRead((error, data) => {
        if (error) return reject(error);
        received += data.toString();
        if (received.length < message.length) return;
        assert.equal(received, message);
        received = '';
        if (++round === rounds) client.close(() => server.close(() => resolve(round)));
        else client.write(message);
      });
      client.write(message);
    });
  });
}

const rounds = await echo('hello from the embedded loop', 200);
console.log(`TCP echo: ${rounds} round trips through the helper's IOCP wait`);

const woken = await new Promise((resolve) => {
  const async = new Async(loop, () => async.close(() => resolve(true)));
  setTimeout(() => async.send(), 20);
});
assert.equal(woken, true);
console.log('Async sent from a Node timer woke the embedded loop');

clearInterval(nodeTimer);
assert.ok(nodeTicks > 5, `Node's own 5 ms interval ran ${nodeTicks} times meanwhile`);
console.log(`Node's interval ran ${nodeTicks} times meanwhile`);

loop.unembed();
assert.equal(loop.embedded, null);
loop.embed();
assert.equal(loop.embedded, 'thread');
assert.ok((await timerOnce(5)) < 2000);
console.log('unembed() then embed() again works');

const pending = new Timer(loop);
pending.start(() => assert.fail('a closed loop ran a timer'), 10_000);
loop.close();
assert.equal(loop.closed, true);
assert.equal(pending.closed, true);
console.log(`close() while embedded closed the loop and its timer (${Date.now() - started} ms in all)`);
console.log('OK');
