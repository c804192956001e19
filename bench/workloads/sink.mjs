// The discarding sink of the pump and memory benchmarks, in its own process (the side under test
// has the other core to itself): accepts TCP connections on 127.0.0.1 (or a Unix socket with
// --pipe <path>), reads everything into one reused 1 MiB buffer, and closes each connection once it
// reads EOF. Prints `PORT <n>` (or `PIPE <path>`) when listening. The same sink serves uvkit and
// Node. --many: keep accepting (the memory benchmark); otherwise it takes one connection.
import { Pipe, TCP } from '../../dist/index.js';

const pipeIndex = process.argv.indexOf('--pipe');
const pipePath = pipeIndex >= 0 ? process.argv[pipeIndex + 1] : undefined;
const many = process.argv.includes('--many');
const buffer = new Uint8Array(1024 * 1024);
const server = pipePath === undefined ? new TCP() : new Pipe();
if (pipePath === undefined) server.bind({ address: '127.0.0.1', port: 0 });
else server.bind(pipePath);
server.listen(() => {
  const peer = pipePath === undefined ? new TCP() : new Pipe();
  server.accept(peer);
  if (!many) server.close();
  peer.startRead(
    (error, data) => {
      if (data === null) peer.close();
    },
    { buffer },
  );
}, 2048);
process.stdout.write(pipePath === undefined ? `PORT ${server.getsockname().port}\n` : `PIPE ${pipePath}\n`);
