// The discarding sink of the pump benchmarks, in its own process (the writer under test has the
// other core): accepts one TCP connection on 127.0.0.1, reads everything into one reused 1 MiB
// buffer, and closes once it reads EOF. Prints `PORT <n>` when listening. The same sink serves
// uvkit's and Node's writers.
import { TCP } from '../../dist/index.js';

const buffer = new Uint8Array(1024 * 1024);
const server = new TCP();
server.bind({ address: '127.0.0.1', port: 0 });
server.listen(() => {
  const peer = new TCP();
  server.accept(peer);
  server.close();
  peer.startRead(
    (error, data) => {
      if (data === null) peer.close();
    },
    { buffer },
  );
});
process.stdout.write(`PORT ${server.getsockname().port}\n`);
