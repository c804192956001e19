// Pump over loopback, as libuv's tcp_pump: the client writes `mib` MiB of 64 KiB writes to a
// discarding sink in a child process (sink.mjs), `batch` writes at a time (Node: inside
// cork()/uncork() when batch > 1), keeping about 1 MiB queued. MB/s from the first write until
// the sink has read everything and closed.
// --impl uvkit | node   --batch N (default 1)   --pipe (a Unix socket instead of TCP)
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pipe, TCP } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const mib = Number(arg('mib', 1024));
const batch = Number(arg('batch', 1));
const chunk = Buffer.alloc(64 * 1024, 'x');
const totalBytes = mib * 1024 * 1024;
const chunks = totalBytes / chunk.length;
const highWater = 1024 * 1024;
let start;

const usePipe = process.argv.includes('--pipe');
const dir = usePipe ? mkdtempSync(path.join(tmpdir(), 'uvkit-pump-')) : undefined;
const pipePath = dir === undefined ? undefined : path.join(dir, 'sink.sock');
process.on('exit', () => dir !== undefined && rmSync(dir, { recursive: true, force: true }));
const sinkArgs = [new URL('./sink.mjs', import.meta.url).pathname, ...(usePipe ? ['--pipe', pipePath] : [])];
const sink = spawn(process.execPath, sinkArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => {
  let out = '';
  sink.stdout.on('data', (d) => {
    out += d;
    const m = /(PORT|PIPE) (\S+)/.exec(out);
    if (m) resolve(m[1] === 'PORT' ? Number(m[2]) : m[2]);
  });
});

function finish() {
  const s = seconds(start);
  report(totalBytes / 1e6 / s, { seconds: s });
}

function uvkit() {
  const client = usePipe ? new Pipe() : new TCP();
  let sent = 0;
  let written = 0;
  const onWritten = (error) => {
    if (error) throw error;
    if (++written === chunks) client.shutdown(() => {});
    else pump();
  };
  const pump = () => {
    while (sent < chunks && client.writeQueueSize < highWater) {
      for (let i = 0; i < batch && sent < chunks; i++) {
        sent++;
        client.write(chunk, onWritten);
      }
    }
  };
  client.connect(usePipe ? pipePath : { address: '127.0.0.1', port }, (error) => {
    if (error) throw error;
    client.startRead((err, data) => {
      if (data !== null) return;
      finish(); // the sink read everything and closed
      client.close();
    });
    start = process.hrtime.bigint();
    pump();
  });
}

function node() {
  const client = net.connect(usePipe ? { path: pipePath } : { port, host: '127.0.0.1' }, () => {
    start = process.hrtime.bigint();
    let sent = 0;
    const pump = () => {
      while (sent < chunks) {
        let more = true;
        if (batch > 1) client.cork();
        for (let i = 0; i < batch && sent < chunks; i++) {
          sent++;
          more = client.write(chunk);
        }
        if (batch > 1) client.uncork();
        if (!more) return void client.once('drain', pump);
      }
      client.end();
    };
    pump();
  });
  client.on('end', () => {
    finish();
    client.destroy();
  });
  client.resume();
}

if (impl === 'node') node();
else uvkit();
