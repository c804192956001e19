/**
 * DNS through libuv: getaddrinfo (names and services to socket addresses) and getnameinfo (the
 * reverse), run on libuv's thread pool by the system resolver (/etc/hosts, then DNS, as
 * nsswitch.conf says). Callback form (returns a cancellable {@link DnsRequest}) or promise form.
 */
import { binding, type AddrInfo, type NameInfo } from './binding.js';
import { UVError, invalidArgType, invalidArgValue } from './errors.js';
import { resolveLoop } from './handle.js';
import type { Loop } from './loop.js';
import { callbackOrPromise, PoolRequest, type RequestCallback } from './pool_request.js';
import { validateFunction, validateInteger, validateObject, validatePath } from './validate.js';

export type { AddrInfo, NameInfo };

export interface AddrInfoHints {
  /** 4 / 'IPv4' or 6 / 'IPv6' for one family; 0 (the default) for both. */
  family?: 0 | 4 | 6 | 'IPv4' | 'IPv6';
  /** Only results for this kind of socket (default: every kind the system lists). */
  socktype?: 'stream' | 'dgram' | 'raw';
  /** Only results for this IP protocol number (6 TCP, 17 UDP; default 0: any). */
  protocol?: number;
  /** `constants.dns.AI_*` flags, or-ed (AI_NUMERICHOST, AI_ADDRCONFIG, AI_CANONNAME, ...). */
  flags?: number;
  /** The loop whose thread gets the callback (default: Node's). */
  loop?: Loop;
}

export interface NameInfoOptions {
  /** `constants.dns.NI_*` flags, or-ed (NI_NUMERICHOST, NI_NAMEREQD, ...). */
  flags?: number;
  /** The loop whose thread gets the callback (default: Node's). */
  loop?: Loop;
}

export type DnsCallback<T> = RequestCallback<T>;

/**
 * A started lookup. `cancel()` asks libuv to take it back, which works while it still waits for a
 * thread-pool thread: its callback then gets a UVError EAI_CANCELED.
 */
export class DnsRequest<T> extends PoolRequest<T> {}

const native = binding.dns;
const SOCKTYPES = { stream: 1, dgram: 2, raw: 3 } as const;
const FAMILIES = new Map<unknown, number>([[0, 0], [4, 4], [6, 6], ['IPv4', 4], ['IPv6', 6]]);
const AI_NUMERICSERV = binding.constants.dns.AI_NUMERICSERV;

function readService(port: unknown): { service: string | null; numeric: boolean } {
  if (port === undefined || port === null) return { service: null, numeric: false };
  if (typeof port === 'number') {
    validateInteger(port, 'port', 0, 65535);
    return { service: String(port), numeric: true };
  }
  if (typeof port === 'string') {
    validatePath(port, 'port');
    return { service: port, numeric: false };
  }
  throw invalidArgType('port', 'of type number or string', port);
}

function readHints(hints: AddrInfoHints) {
  validateObject(hints, 'hints');
  const { family = 0, socktype, protocol = 0, flags = 0, loop } = hints;
  const familyNumber = FAMILIES.get(family);
  if (familyNumber === undefined) throw invalidArgValue('hints.family', family, "must be one of 0, 4, 6, 'IPv4', 'IPv6'");
  let socktypeNumber = 0;
  if (socktype !== undefined) {
    if (typeof socktype !== 'string' || !Object.hasOwn(SOCKTYPES, socktype)) {
      throw invalidArgValue('hints.socktype', socktype, "must be one of 'stream', 'dgram', 'raw'");
    }
    socktypeNumber = SOCKTYPES[socktype as keyof typeof SOCKTYPES];
  }
  validateInteger(protocol, 'hints.protocol', 0, 255);
  validateInteger(flags, 'hints.flags', 0, 2 ** 31 - 1);
  return { family: familyNumber, socktype: socktypeNumber, protocol, flags, loop: resolveLoop(loop) };
}

/**
 * Resolves `host` (a name or an address; null for the local host, with AI_PASSIVE the wildcard)
 * and `port` (a number, a service name like 'http', or null) to socket addresses, one per address,
 * kind of socket and protocol the system lists (narrow with `hints.socktype`). Failures are
 * UVErrors with libuv's EAI_* codes and `hostname` (EAI_NONAME: no such name).
 */
export function getaddrinfo(host: string | null, callback: DnsCallback<AddrInfo[]>): DnsRequest<AddrInfo[]>;
export function getaddrinfo(host: string | null, port: number | string | null | undefined, callback: DnsCallback<AddrInfo[]>): DnsRequest<AddrInfo[]>;
export function getaddrinfo(
  host: string | null,
  port: number | string | null | undefined,
  hints: AddrInfoHints | undefined,
  callback: DnsCallback<AddrInfo[]>,
): DnsRequest<AddrInfo[]>;
export function getaddrinfo(host: string | null, port?: number | string | null, hints?: AddrInfoHints): Promise<AddrInfo[]>;
export function getaddrinfo(host: string | null, ...rest: unknown[]): DnsRequest<AddrInfo[]> | Promise<AddrInfo[]> {
  const callback = typeof rest.at(-1) === 'function' ? (rest.pop() as DnsCallback<AddrInfo[]>) : undefined;
  if (rest.length > 2) validateFunction(rest[2], 'callback');
  const [port, hints = {}] = rest as [unknown, AddrInfoHints | undefined];
  if (host !== null) validatePath(host, 'host');
  const { service, numeric } = readService(port);
  if (host === null && service === null) throw invalidArgValue('host', host, 'and port cannot both be null');
  const h = readHints(hints);
  const flags = numeric ? h.flags | AI_NUMERICSERV : h.flags;
  const error = (status: number): UVError => new UVError(status, 'getaddrinfo', { hostname: host ?? service ?? undefined });
  return callbackOrPromise(callback, (cb) => {
    const id = native.getaddrinfo(h.loop, host, service, h.family, h.socktype, h.protocol, flags);
    return new DnsRequest(cb, error).started(h.loop, id);
  });
}

/**
 * The host and service names of a socket address (`{ address, port }`; the reverse of getaddrinfo).
 * With no name for the address, the numeric form (unless NI_NAMEREQD: EAI_NONAME).
 */
export function getnameinfo(addr: { address: string; port: number }, callback: DnsCallback<NameInfo>): DnsRequest<NameInfo>;
export function getnameinfo(
  addr: { address: string; port: number },
  options: number | NameInfoOptions | undefined,
  callback: DnsCallback<NameInfo>,
): DnsRequest<NameInfo>;
export function getnameinfo(addr: { address: string; port: number }, options?: number | NameInfoOptions): Promise<NameInfo>;
export function getnameinfo(addr: { address: string; port: number }, ...rest: unknown[]): DnsRequest<NameInfo> | Promise<NameInfo> {
  const callback = typeof rest.at(-1) === 'function' ? (rest.pop() as DnsCallback<NameInfo>) : undefined;
  if (rest.length > 1) validateFunction(rest[1], 'callback');
  validateObject(addr, 'addr');
  const { address, port } = addr;
  validatePath(address, 'addr.address');
  validateInteger(port, 'addr.port', 0, 65535);
  const raw = rest[0] ?? {};
  const options = typeof raw === 'number' ? { flags: raw } : (raw as NameInfoOptions);
  validateObject(options, 'options');
  const { flags = 0 } = options;
  validateInteger(flags, 'flags', 0, 2 ** 31 - 1);
  const loop = resolveLoop(options.loop);
  const error = (status: number): UVError => new UVError(status, 'getnameinfo', { address, port });
  return callbackOrPromise(callback, (cb) => new DnsRequest(cb, error).started(loop, native.getnameinfo(loop, address, port, flags)));
}
