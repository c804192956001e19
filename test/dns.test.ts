// dns: getaddrinfo / getnameinfo on Node's loop and on private loops, cancellation, errors, and the
// lifetime of requests whose loop goes away. Only names this machine resolves by itself are looked
// up ('localhost' from /etc/hosts, IPv4 only: an IPv6 lookup of a name, or a reverse lookup of an
// address /etc/hosts does not list, would go on to the DNS servers; tests use loopback only).
import { AsyncLocalStorage } from 'node:async_hooks';
import nodeDns from 'node:dns';
import * as nfs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { binding } from '../src/ts/binding.js';
import { Loop, UVError, constants, dns, type AddrInfo, type NameInfo } from '../src/ts/index.js';
import { expectError, tick } from './helpers/assert.js';
import { checkDistFresh, root } from './helpers/child.js';
import { runToEnd } from './helpers/loop.js';
import { blockThreadPool } from './helpers/pool.js';

const { AI_CANONNAME, AI_NUMERICHOST, AI_PASSIVE, NI_NUMERICHOST, NI_NUMERICSERV } = constants.dns;

function collect(): void {
  globalThis.gc?.();
}

async function rejection(promise: Promise<unknown>): Promise<UVError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UVError);
  return error as UVError;
}

describe('getaddrinfo', () => {
  it("resolves 'localhost' to the addresses Node's dns.lookup finds", async () => {
    const ours = await dns.getaddrinfo('localhost', null, { socktype: 'stream' });
    const node = await nodeDns.promises.lookup('localhost', { all: true });
    expect(ours.map((a) => a.address).sort()).toEqual(node.map((a) => a.address).sort());
    expect(ours).toContainEqual({ address: '127.0.0.1', port: 0, family: 'IPv4', socktype: 'stream', protocol: 6 });
  });

  it('numeric hosts and ports: one result per kind of socket unless socktype narrows it', async () => {
    expect(await dns.getaddrinfo('127.0.0.1', 8080, { socktype: 'stream' })).toEqual([
      { address: '127.0.0.1', port: 8080, family: 'IPv4', socktype: 'stream', protocol: 6 },
    ]);
    expect(await dns.getaddrinfo('::1', 53, { socktype: 'dgram' })).toEqual([
      { address: '::1', port: 53, family: 'IPv6', socktype: 'dgram', protocol: 17 },
    ]);
    const all = await dns.getaddrinfo('127.0.0.1', 7);
    expect(all.map((a) => a.socktype).sort()).toEqual(['dgram', 'raw', 'stream']);
    expect(new Set(all.map((a) => `${a.address}:${a.port}`))).toEqual(new Set(['127.0.0.1:7']));
  });

  it("service names ('http'), families ('IPv4' or 4), and a null host (loopback, or the wildcard with AI_PASSIVE)", async () => {
    expect(await dns.getaddrinfo('localhost', 'http', { family: 'IPv4', socktype: 'stream' })).toEqual([
      { address: '127.0.0.1', port: 80, family: 'IPv4', socktype: 'stream', protocol: 6 },
    ]);
    expect((await dns.getaddrinfo('localhost', 'http', { family: 4, socktype: 'stream' }))[0]?.port).toBe(80);
    const loopback = await dns.getaddrinfo(null, 80, { socktype: 'stream' });
    expect(loopback.map((a) => a.address).sort()).toEqual(['127.0.0.1', '::1']);
    const wildcard = await dns.getaddrinfo(null, 80, { socktype: 'stream', flags: AI_PASSIVE });
    expect(wildcard.map((a) => a.address).sort()).toEqual(['0.0.0.0', '::']);
  });

  it('AI_CANONNAME puts the canonical name on the first result only', async () => {
    const results = await dns.getaddrinfo('localhost', null, { family: 4, flags: AI_CANONNAME });
    expect(results[0]?.canonname).toBe('localhost');
    for (const r of results.slice(1)) expect(r).not.toHaveProperty('canonname');
  });

  it('failures are UVErrors with the EAI_* code and the hostname: a name with AI_NUMERICHOST, an unknown service', async () => {
    const noname = await rejection(dns.getaddrinfo('localhost', null, { flags: AI_NUMERICHOST }));
    expect(noname).toMatchObject({ code: 'EAI_NONAME', syscall: 'getaddrinfo', hostname: 'localhost' });
    expect(noname.message).toBe('getaddrinfo EAI_NONAME localhost');
    const service = await rejection(dns.getaddrinfo('localhost', 'no-such-service-uvkit', { socktype: 'stream' }));
    expect(service.code).toBe('EAI_SERVICE');
  });

  it('the callback form calls back once and returns a request; cancel() after the fact is false', async () => {
    const calls: Array<[UVError | null, AddrInfo[] | undefined]> = [];
    const request = dns.getaddrinfo('127.0.0.1', 80, { socktype: 'stream' }, (err, result) => calls.push([err, result]));
    expect(typeof request.cancel).toBe('function');
    for (let i = 0; i < 500 && calls.length === 0; i++) await tick();
    await tick();
    expect(calls).toEqual([[null, [{ address: '127.0.0.1', port: 80, family: 'IPv4', socktype: 'stream', protocol: 6 }]]]);
    expect(request.cancel()).toBe(false);
    // getaddrinfo(host, callback) and getaddrinfo(host, port, callback) forms
    const short = await new Promise<AddrInfo[] | undefined>((resolve) => dns.getaddrinfo('127.0.0.1', (_err, r) => resolve(r)));
    expect(short?.every((a) => a.port === 0)).toBe(true);
    const withPort = await new Promise<AddrInfo[] | undefined>((resolve) => dns.getaddrinfo('127.0.0.1', 9, (_err, r) => resolve(r)));
    expect(withPort?.every((a) => a.port === 9)).toBe(true);
  });

  it('the callback runs in the caller’s AsyncLocalStorage context, as with dns.lookup', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen = await als.run('lookup-context', () => new Promise<string | undefined>((resolve) => dns.getaddrinfo('localhost', () => resolve(als.getStore()))));
    expect(seen).toBe('lookup-context');
  });
});

describe('getnameinfo', () => {
  it("gives what Node's dns.lookupService gives for 127.0.0.1:80", async () => {
    const node = await nodeDns.promises.lookupService('127.0.0.1', 80);
    expect(await dns.getnameinfo({ address: '127.0.0.1', port: 80 })).toEqual({ hostname: node.hostname, service: node.service });
  });

  it('NI_NUMERICHOST | NI_NUMERICSERV keep both numeric (IPv4 and IPv6); options as a number or { flags }', async () => {
    const flags = NI_NUMERICHOST | NI_NUMERICSERV;
    expect(await dns.getnameinfo({ address: '127.0.0.1', port: 80 }, flags)).toEqual({ hostname: '127.0.0.1', service: '80' });
    expect(await dns.getnameinfo({ address: '::1', port: 443 }, { flags })).toEqual({ hostname: '::1', service: '443' });
    const viaCallback = await new Promise<NameInfo | undefined>((resolve) => dns.getnameinfo({ address: '127.0.0.1', port: 22 }, flags, (_e, r) => resolve(r)));
    expect(viaCallback).toEqual({ hostname: '127.0.0.1', service: '22' });
  });

  it('a failure is a UVError naming the address and port', async () => {
    const error = await rejection(dns.getnameinfo({ address: '127.0.0.1', port: 80 }, 1 << 20)); // no such flag
    expect(error).toMatchObject({ code: 'EAI_BADFLAGS', syscall: 'getnameinfo', address: '127.0.0.1', port: 80 });
    expect(error.message).toBe('getnameinfo EAI_BADFLAGS 127.0.0.1:80');
  });
});

describe('cancel', () => {
  it('a lookup still waiting for a thread-pool thread is taken back: its callback gets EAI_CANCELED', async () => {
    // Every thread of the pool is made to wait: each opens a FIFO for reading, which blocks until
    // a writer opens it. A lookup queued behind them cannot start, so cancel() takes it back.
    const dir = nfs.mkdtempSync(path.join(tmpdir(), 'uvkit-dns-'));
    const release = blockThreadPool(dir);
    let result: [UVError | null, AddrInfo[] | undefined] | undefined;
    try {
      const request = dns.getaddrinfo('localhost', null, {}, (err, r) => (result = [err, r]));
      expect(request.cancel()).toBe(true);
      expect(request.cancel()).toBe(false); // once
    } finally {
      await release();
      nfs.rmSync(dir, { recursive: true, force: true });
    }
    for (let i = 0; i < 500 && result === undefined; i++) await tick();
    expect(result?.[0]).toBeInstanceOf(UVError);
    expect(result?.[0]?.code).toBe('EAI_CANCELED');
    expect(result?.[1]).toBeUndefined();
  });
});

describe('private loops', () => {
  it('lookups on a private loop complete inside its run(); close() waits for one in flight', () => {
    const loop = new Loop();
    const got: string[] = [];
    dns.getaddrinfo('127.0.0.1', 1, { loop, socktype: 'stream' }, (err, r) => got.push(`a ${err?.code ?? r?.[0]?.address}`));
    dns.getnameinfo({ address: '127.0.0.1', port: 80 }, { loop, flags: NI_NUMERICHOST }, (err, r) => got.push(`n ${err?.code ?? r?.hostname}`));
    expect(loop.alive).toBe(true);
    runToEnd(loop);
    expect(got.sort()).toEqual(['a 127.0.0.1', 'n 127.0.0.1']);
    dns.getaddrinfo('localhost', null, { loop, family: 4 }, (err) => got.push(`closing ${err?.code ?? 'ok'}`));
    loop.close();
    expect(got.at(-1)).toBe('closing ok');
    expectError(() => dns.getaddrinfo('localhost', null, { loop }, () => {}), Error, 'ERR_LOOP_CLOSED');
  });

  it("an error thrown by a lookup's callback is rethrown by run()", () => {
    const loop = new Loop();
    dns.getaddrinfo('127.0.0.1', null, { loop }, () => {
      throw new Error('from the dns callback');
    });
    expect(() => loop.run()).toThrow('from the dns callback');
    loop.close();
  });

  it('a private loop collected with lookups in flight takes their callbacks with it; none runs', async () => {
    let collected = 0;
    let ran = 0;
    const counting = new FinalizationRegistry<string>(() => void collected++);
    (() => {
      const loop = new Loop(); // never run
      counting.register(loop, 'loop');
      for (let i = 0; i < 8; i++) {
        const held = { bytes: new Uint8Array(1 << 10) };
        counting.register(held, 'capture');
        dns.getaddrinfo('127.0.0.1', i, { loop }, () => {
          ran++;
          held.bytes.fill(1);
        });
      }
    })();
    for (let i = 0; i < 100 && collected < 9; i++) {
      collect();
      await tick();
    }
    expect(collected).toBe(9);
    expect(ran).toBe(0);
    expect(binding.debugCounts().poolRequests).toBe(0);
  });
});

describe('workers', () => {
  it('a worker that exits or is terminated with lookups in flight ends cleanly, 30 times', async () => {
    checkDistFresh();
    const url = new URL('dist/index.js', `file://${root}/`).href;
    const code = `import { dns, Loop } from ${JSON.stringify(url)};
import { workerData } from 'node:worker_threads';
const loop = new Loop();
for (let i = 0; i < 20; i++) {
  dns.getaddrinfo('localhost', i, { family: 4 }, () => {});
  dns.getaddrinfo('127.0.0.1', i, { loop }, () => {});
}
if (workerData.exit) process.exit(0);`;
    const source = new URL(`data:text/javascript,${encodeURIComponent(code)}`);
    for (let i = 0; i < 30; i++) {
      const worker = new Worker(source, { workerData: { exit: i % 2 === 0 } });
      const exited = new Promise<number>((resolve, reject) => {
        worker.on('exit', resolve);
        worker.on('error', reject);
      });
      if (i % 2 === 1) setTimeout(() => void worker.terminate(), i % 7);
      expect([0, 1]).toContain(await exited);
    }
    expect(binding.debugCounts().poolRequests).toBe(0);
  });
});

describe('bad input', () => {
  const cb = (): void => {};
  it('getaddrinfo: host, port, hints and callback are checked before anything starts', () => {
    const bad: Array<[() => unknown, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, string]> = [
      [() => dns.getaddrinfo(1 as unknown as string, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getaddrinfo('local\0host', cb), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => dns.getaddrinfo(null, null, {}, cb), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => dns.getaddrinfo('localhost', 65536, cb), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => dns.getaddrinfo('localhost', 1.5, cb), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => dns.getaddrinfo('localhost', {} as unknown as number, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getaddrinfo('localhost', 'ht\0tp', cb), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => dns.getaddrinfo('localhost', 80, 5 as unknown as object, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getaddrinfo('localhost', 80, { family: 5 as 4 }, cb), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => dns.getaddrinfo('localhost', 80, { socktype: 'seqpacket' as 'raw' }, cb), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => dns.getaddrinfo('localhost', 80, { protocol: 256 }, cb), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => dns.getaddrinfo('localhost', 80, { flags: -1 }, cb), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => dns.getaddrinfo('localhost', 80, { loop: {} as Loop }, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getaddrinfo('localhost', 80, {}, 'cb' as unknown as () => void), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [fn, cls, code] of bad) expectError(fn, cls, code);
    expect(binding.debugCounts().poolRequests).toBe(0);
  });

  it('getnameinfo: the address, port, flags and callback are checked before anything starts', () => {
    const bad: Array<[() => unknown, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, string]> = [
      [() => dns.getnameinfo(null as unknown as { address: string; port: number }, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getnameinfo({ address: 'localhost', port: 80 }, cb), TypeError, 'ERR_INVALID_ARG_VALUE'],
      [() => dns.getnameinfo({ address: '127.0.0.1', port: 65536 }, cb), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => dns.getnameinfo({ address: 1 as unknown as string, port: 80 }, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getnameinfo({ address: '127.0.0.1', port: 80 }, -1, cb), RangeError, 'ERR_OUT_OF_RANGE'],
      [() => dns.getnameinfo({ address: '127.0.0.1', port: 80 }, 'x' as unknown as number, cb), TypeError, 'ERR_INVALID_ARG_TYPE'],
      [() => dns.getnameinfo({ address: '127.0.0.1', port: 80 }, 0, 5 as unknown as () => void), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [fn, cls, code] of bad) expectError(fn, cls, code);
    expect(binding.debugCounts().poolRequests).toBe(0);
  });
});
