// Name lookups: dns.getaddrinfo against Node's dns.lookup, both the system resolver on libuv's
// thread pool. N lookups of 'localhost' (from /etc/hosts: nothing leaves the machine), at most
// --concurrency in flight, IPv4 stream results. --impl uvkit | node
import nodeDns from 'node:dns';
import { dns } from '../../dist/index.js';
import { arg, report, seconds } from './common.mjs';

const impl = arg('impl', 'uvkit');
const N = Number(arg('n', 100_000));
const concurrency = Number(arg('concurrency', 64));

const lookup =
  impl === 'node'
    ? (done) => nodeDns.lookup('localhost', { family: 4 }, (err) => done(err))
    : (done) => dns.getaddrinfo('localhost', null, { family: 4, socktype: 'stream' }, (err) => done(err));

await new Promise((resolve, reject) => {
  let started = 0;
  let finished = 0;
  const t0 = process.hrtime.bigint();
  const next = () => {
    if (started === N) return;
    started++;
    lookup((err) => {
      if (err) return reject(err);
      if (++finished === N) {
        const s = seconds(t0);
        report(N / s, { seconds: s });
        resolve();
      } else next();
    });
  };
  for (let i = 0; i < concurrency; i++) next();
});
