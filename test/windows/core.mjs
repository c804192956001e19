// Windows (run by scripts/windows-check.mjs under Wine): the core of the API on libuv's Windows
// implementation, each part on a private loop driven by run(): loop watchers and run modes, timers,
// an Async sent from a worker thread, TCP, UDP and named-pipe echo, fs in its three forms, and a
// child process with a piped stdout.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Async, Check, Idle, Loop, Pipe, Prepare, Process, TCP, Timer, UDP, fs } from '../../dist/index.js';

const checks = [];
async function check(name, fn) {
  await fn();
  checks.push(name);
  console.log(`ok  ${name}`);
}

// An Idle, not a Prepare, keeps run('once') from blocking: with nothing pending libuv's Windows
// poll waits on the IOCP indefinitely (its Linux poll returns at once when no fd is watched).
await check("run('once') x 100 with an Idle; prepare, idle and check each once per turn", () => {
  const loop = new Loop();
  let turns = 0;
  const idle = new Idle(loop);
  idle.start(() => {
    if (++turns === 100) idle.close();
  });
  while (loop.run('once'));
  assert.equal(turns, 100);
  const seen = [];
  const watchers = [new Prepare(loop), new Idle(loop), new Check(loop)];
  for (const [i, w] of watchers.entries()) {
    w.start(() => {
      seen.push(['prepare', 'idle', 'check'][i]);
      w.close();
    });
  }
  loop.run();
  assert.deepEqual(seen, ['idle', 'prepare', 'check']);
  loop.close();
});

await check('timers fire in timeout order; nowait does not block', () => {
  const loop = new Loop();
  const order = [];
  for (const ms of [30, 10, 20]) new Timer(loop).start((t) => (order.push(ms), t.close()), ms);
  const long = new Timer(loop);
  long.start(() => {}, 10_000);
  const t0 = Date.now();
  assert.equal(loop.run('nowait'), true);
  assert.ok(Date.now() - t0 < 1000);
  long.close();
  loop.run();
  assert.deepEqual(order, [10, 20, 30]);
  loop.close();
});

await check('Async sent 50 times from a worker thread wakes the loop', async () => {
  const loop = new Loop();
  let calls = 0;
  const async = new Async(loop, () => calls++);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(workerData.index).then(({ Async }) => {
       for (let i = 0; i < 50; i++) Async.send(workerData.token);
       parentPort.postMessage('sent');
     });`,
    { eval: true, workerData: { token: async.sender(), index: new URL('../../dist/index.js', import.meta.url).href } },
  );
  await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
  loop.run('nowait');
  assert.ok(calls >= 1 && calls <= 50, `callbacks: ${calls}`);
  async.close();
  loop.run();
  loop.close();
  await worker.terminate();
});

function echoOver(loop, server, connectClient, bindServer) {
  return new Promise((resolve, reject) => {
    bindServer(server);
    server.listen((err) => {
      if (err) return reject(err);
      const conn = server instanceof TCP ? new TCP(loop) : new Pipe(loop);
      server.accept(conn);
      conn.startRead((error, data) => {
        if (error) return reject(error);
        if (data === null) return conn.close();
        conn.write(Buffer.from(data));
      });
    });
    connectClient((client) => {
      let got = '';
      client.startRead((error, data) => {
        if (error) return reject(error);
        got += data.toString();
        if (got === 'ping over windows') client.close(() => server.close(() => resolve(got)));
      });
      client.write('ping over windows');
    }, reject);
    loop.run();
  });
}

await check('TCP echo on 127.0.0.1', async () => {
  const loop = new Loop();
  const server = new TCP(loop);
  const got = await echoOver(
    loop,
    server,
    (onConnected, reject) => {
      const client = new TCP(loop);
      client.connect({ address: '127.0.0.1', port: server.getsockname().port }, (err) => (err ? reject(err) : onConnected(client)));
    },
    (s) => s.bind({ address: '127.0.0.1', port: 0 }),
  );
  assert.equal(got, 'ping over windows');
  loop.close();
});

await check('named pipe echo (\\\\.\\pipe\\...)', async () => {
  const loop = new Loop();
  const name = `\\\\.\\pipe\\uvkit-check-${process.pid}`;
  const got = await echoOver(
    loop,
    new Pipe(loop),
    (onConnected, reject) => {
      const client = new Pipe(loop);
      client.connect(name, (err) => (err ? reject(err) : onConnected(client)));
    },
    (s) => s.bind(name),
  );
  assert.equal(got, 'ping over windows');
  loop.close();
});

await check('UDP datagram to itself on 127.0.0.1', async () => {
  const loop = new Loop();
  const udp = new UDP(loop);
  udp.bind({ address: '127.0.0.1', port: 0 });
  const received = new Promise((resolve, reject) => {
    udp.startRecv((error, data, addr) => {
      if (error) return reject(error);
      udp.close();
      resolve([data.toString(), addr.port]);
    });
  });
  const port = udp.getsockname().port;
  udp.send('datagram', { address: '127.0.0.1', port }, (err) => assert.equal(err, null));
  loop.run();
  assert.deepEqual(await received, ['datagram', port]);
  loop.close();
});

await check('fs: write, read, stat, rename, scandir, unlink, rmdir in callback, promise and sync forms', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvkit-win-'));
  const file = path.join(dir, 'a.txt');
  const fd = fs.openSync(file, 'w');
  assert.equal(fs.writeSync(fd, 'hello windows'), 13);
  fs.closeSync(fd);
  const stats = await fs.stat(file);
  assert.equal(stats.size, 13);
  assert.equal(stats.isFile(), true);
  const readFd = await fs.open(file, 'r');
  const buffer = Buffer.alloc(32);
  const bytes = await new Promise((resolve, reject) => fs.read(readFd, buffer, 0, 32, 0, (err, n) => (err ? reject(err) : resolve(n))));
  assert.equal(buffer.subarray(0, bytes).toString(), 'hello windows');
  await fs.close(readFd);
  fs.renameSync(file, path.join(dir, 'b.txt'));
  assert.deepEqual((await fs.scandir(dir)).map((d) => d.name), ['b.txt']);
  await assert.rejects(fs.stat(file), { code: 'ENOENT', syscall: 'stat' });
  fs.unlinkSync(path.join(dir, 'b.txt'));
  await fs.rmdir(dir);
  assert.throws(() => fs.statSync(dir), { code: 'ENOENT' });
});

await check('Process.spawn of node.exe with a piped stdout, exit status, ENOENT for a missing file', async () => {
  const loop = new Loop();
  const out = new Pipe(loop);
  let output = '';
  let exit;
  Process.spawn(loop, {
    file: process.execPath,
    args: ['-e', 'process.stdout.write("from the child"); process.exitCode = 3'],
    stdio: ['ignore', { pipe: out }, 'ignore'],
    onExit(status, signal) {
      exit = [status, signal];
      this.close();
    },
  });
  out.startRead((error, data) => {
    assert.equal(error, null);
    if (data === null) out.close();
    else output += data.toString();
  });
  loop.run();
  assert.equal(output, 'from the child');
  assert.deepEqual(exit, [3, 0]);
  assert.throws(() => Process.spawn(loop, { file: 'C:\\no\\such\\program.exe' }), { code: 'ENOENT' });
  loop.run();
  loop.close();
});

console.log(`${checks.length} checks passed`);
console.log('OK');
