/**
 * uvkit: direct, typed access to libuv from TypeScript, in the spirit of pyuv.
 * See README.md for the overview and API.md (in the design docs) for the contract.
 */
import * as errors from './errors.js';

export { Loop, type EmbedOptions, type LoopMetrics } from './loop.js';
export type { Handle } from './handle.js';
export { Timer } from './timer.js';
export { Prepare, Check, Idle } from './watchers.js';
export { Async, type AsyncToken } from './async.js';
export { Signal, type SignalName } from './signal.js';
export { constants, features, type RunMode } from './constants.js';
export { errors };
export { UVError } from './errors.js';
export {
  type Stream,
  type WriteData,
  type ReadCallback,
  type StatusCallback,
  type ReadOptions,
  type ReaderOptions,
} from './stream.js';
export { TCP, type TCPOptions, type TCPBindOptions, type AddressInput, type SocketAddress } from './tcp.js';
export { Pipe, type PipeOptions, type HandleType } from './pipe.js';
export { TTY, type TTYMode } from './tty.js';
export { Process, type ProcessOptions, type StdioEntry } from './process.js';
export { Poll, type PollCallback } from './poll.js';
export { FSEvent, type FSEventOptions, type FSEventCallback } from './fs_event.js';
export { FSPoll, type FSPollCallback } from './fs_poll.js';
export { BigIntStats, Stats } from './stats.js';
export * as fs from './fs.js';
export * as dns from './dns.js';
export {
  work,
  nativeAbi,
  WorkRequest,
  WorkTask,
  type ChecksumAlgorithm,
  type FileHash,
  type HashFileOptions,
  type WorkCallback,
} from './work.js';
export type { AddrInfo, AddrInfoHints, DnsCallback, DnsRequest, NameInfo, NameInfoOptions } from './dns.js';
export { FsRequest, type FsCallback } from './fs_queue.js';
export { Dir, Dirent } from './dir.js';
export {
  UDP,
  UDP_PARTIAL,
  type UDPOptions,
  type UDPBindOptions,
  type RecvOptions,
  type RecvCallback,
  type RecvBatchCallback,
  type Datagram,
  type Membership,
} from './udp.js';
export {
  util,
  type CpuInfo,
  type Group,
  type InterfaceAddress,
  type Passwd,
  type ResourceUsage,
  type Uname,
  type Util,
} from './util.js';
