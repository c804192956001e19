// UDP send rate: 64-byte datagrams to a loopback socket (which does not read: the kernel drops what
// its buffer cannot hold; the sender is not slowed by it), `burst` sends per macrotask (setImmediate)
// until `n` are sent. Datagrams per second, from the first send to the last send callback
// (trySend has none: to its last call).
//   --impl uvkit (send) | uvkit-try (trySend) | node (dgram.send)
import dgram from 'node:dgram';
import { UDP } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const total = Number(arg('n', 200_000));
const burst = Number(arg('burst', 64));
const message = Buffer.alloc(64, 's');
const address = '127.0.0.1';
let issued = 0;
let completed = 0;
let start;

function run(sendOne, close) {
  const finish = () => {
    const s = seconds(start);
    report(total / s, { seconds: s });
    close();
  };
  const onSent = (error) => {
    if (error) throw error;
    if (++completed === total) finish();
  };
  const round = () => {
    for (let i = 0; i < burst && issued < total; i++) if (sendOne(onSent)) issued++;
    if (issued < total) setImmediate(round);
    else if (completed === total) finish();
  };
  start = process.hrtime.bigint();
  round();
}

const sink = new UDP();
sink.bind({ address, port: 0 });
const to = sink.getsockname();

if (impl === 'node') {
  const sender = dgram.createSocket('udp4');
  sender.bind(0, address, () => {
    run((cb) => (sender.send(message, to.port, address, cb), true), () => {
      sender.close();
      sink.close();
    });
  });
} else {
  const sender = new UDP();
  sender.bind({ address, port: 0 });
  const close = () => {
    sender.close();
    sink.close();
  };
  if (impl === 'uvkit-try') {
    run((cb) => {
      if (sender.trySend(message, to) === 0) return false; // would block: again next round
      completed++; // trySend completes at once
      return true;
    }, close);
  } else {
    run((cb) => (sender.send(message, to, cb), true), close);
  }
}
