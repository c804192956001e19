// A TCP echo server on Node's loop, and a client that talks to it. Run: npx tsx examples/echo-server.ts
//
// The server reads into fresh slab memory (each chunk a Buffer view) and writes each chunk straight
// back (zero-copy). The client uses the promise forms and reader(), an async iterator that pauses
// reading while its consumer is busy.
import { TCP } from '../src/ts/index.js';

const server = new TCP();
server.bind({ address: '127.0.0.1', port: 0 });
server.listen((error) => {
  if (error) throw error;
  const peer = new TCP();
  server.accept(peer);
  peer.nodelay(true);
  peer.startRead((readError, data) => {
    if (readError || data === null) {
      void peer.close(); // EOF or an error: the client is done
      return;
    }
    peer.write(data, (writeError) => {
      if (writeError) console.error('echo failed:', writeError.message);
    });
  });
});
const { port } = server.getsockname();
console.log(`echo server on 127.0.0.1:${port}`);

const client = new TCP();
await client.connect({ address: '127.0.0.1', port });
console.log('client connected from', client.getsockname());

// Several writes in one tick go out as one vectored write.
await Promise.all([client.write('hello, '), client.write(Buffer.from('uvkit ')), client.write(['echo', '\n'])]);
await client.shutdown(); // the server reads EOF once it has everything

let echoed = '';
for await (const chunk of client.reader()) echoed += chunk.toString('utf8');
console.log(`echoed back: ${JSON.stringify(echoed)}`);

await client.close();
await server.close();
console.log('closed');
