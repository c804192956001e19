// TCP ping-pong over loopback: `conns` connections, each with one 64-byte message in flight that
// the server echoes; round trips per second over all connections. Client and server share this
// process and Node's loop (as libuv's own tcp_pingpong benchmark does). --impl uvkit | node
import net from 'node:net';
import { TCP } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const conns = Number(arg('conns', 1));
const total = Number(arg('n', conns === 1 ? 40_000 : 100_000));
const perConn = Math.ceil(total / conns);
const message = Buffer.alloc(64, 'p');
let finished = 0;
let start;

function done(close) {
  if (++finished < conns) return;
  const s = seconds(start);
  report((perConn * conns) / s, { seconds: s });
  close();
}

function uvkit() {
  const server = new TCP();
  server.bind({ address: '127.0.0.1', port: 0 });
  const accepted = [];
  server.listen(() => {
    const peer = new TCP();
    server.accept(peer);
    peer.nodelay(true);
    accepted.push(peer);
    peer.startRead((error, data) => {
      if (data === null) return void peer.close();
      peer.write(data, noop);
    });
  });
  const { port } = server.getsockname();
  const clients = [];
  const closeAll = () => {
    for (const c of clients) c.close();
    server.close();
  };
  start = process.hrtime.bigint();
  for (let i = 0; i < conns; i++) {
    const client = new TCP();
    clients.push(client);
    let received = 0;
    let trips = 0;
    client.connect({ address: '127.0.0.1', port }, () => {
      client.nodelay(true);
      client.startRead((error, data) => {
        if (data === null) return;
        received += data.length;
        while (received >= 64) {
          received -= 64;
          if (++trips === perConn) return void done(closeAll);
          client.write(message, noop);
        }
      });
      client.write(message, noop);
    });
  }
}

function node() {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (data) => socket.write(data));
    socket.on('error', noop);
  });
  const clients = [];
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    const closeAll = () => {
      for (const c of clients) c.destroy();
      server.close();
    };
    start = process.hrtime.bigint();
    for (let i = 0; i < conns; i++) {
      let received = 0;
      let trips = 0;
      const client = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => client.write(message));
      clients.push(client);
      client.on('error', noop);
      client.on('data', (data) => {
        received += data.length;
        while (received >= 64) {
          received -= 64;
          if (++trips === perConn) return void done(closeAll);
          client.write(message);
        }
      });
    }
  });
}

function noop() {}

if (impl === 'node') node();
else uvkit();
