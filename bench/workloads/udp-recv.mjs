// UDP receive rate: 64-byte datagrams over connected loopback sockets in one process (as in
// ../shared/reference/performance.md "udp"). At most `window` datagrams are in flight; each one
// received sends the next. A 200 ms watchdog refills the window if datagrams were lost (counted).
// Datagrams received per second.
//   --impl uvkit (startRecv) | uvkit-batch (startRecvBatch) | node (dgram)
import dgram from 'node:dgram';
import { UDP } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const total = Number(arg('n', 300_000));
const window = Number(arg('window', 64));
const message = Buffer.alloc(64, 'u');
const address = '127.0.0.1';
let sent = 0;
let received = 0;
let lost = 0;
let start;

function noop() {}

// Refills the window when nothing arrived for 200 ms (lost datagrams), and ends the run.
function watchdog(send, close) {
  let seen = 0;
  const timer = setInterval(() => {
    if (received === seen && sent - received > 0) {
      lost += sent - received;
      sent = received;
      for (let i = 0; i < window && sent < total; i++, sent++) send();
    }
    seen = received;
  }, 200);
  return () => {
    clearInterval(timer);
    const s = seconds(start);
    report(received / s, { seconds: s, lost });
    close();
  };
}

function uvkit(batched) {
  const receiver = new UDP();
  receiver.bind({ address, port: 0 });
  const sender = new UDP();
  sender.bind({ address, port: 0 });
  sender.connect(receiver.getsockname());
  const send = () => sender.send(message, noop);
  const finish = watchdog(send, () => {
    receiver.close();
    sender.close();
  });
  const onDatagram = () => {
    if (++received === total) return finish();
    if (sent < total) {
      sent++;
      send();
    }
  };
  if (batched) {
    receiver.startRecvBatch((batch) => {
      for (let i = 0; i < batch.length; i++) onDatagram();
    });
  } else {
    receiver.startRecv(onDatagram);
  }
  start = process.hrtime.bigint();
  for (; sent < window; sent++) send();
}

function node() {
  const receiver = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  receiver.bind(0, address, () => {
    sender.bind(0, address, () => {
      sender.connect(receiver.address().port, address, () => {
        const send = () => sender.send(message, noop);
        const finish = watchdog(send, () => {
          receiver.close();
          sender.close();
        });
        receiver.on('message', () => {
          if (++received === total) return finish();
          if (sent < total) {
            sent++;
            send();
          }
        });
        start = process.hrtime.bigint();
        for (; sent < window; sent++) send();
      });
    });
  });
}

if (impl === 'node') node();
else uvkit(impl === 'uvkit-batch');
