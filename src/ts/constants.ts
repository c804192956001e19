/** Constants: run modes, handle types, UDP flags, Poll and FSEvent events, signal numbers of this platform. */
import { constants as osConstants } from 'node:os';
import { binding } from './binding.js';

/** `flags` of a received datagram: it was longer than the buffer and was cut short (UV_UDP_PARTIAL). */
export const UDP_PARTIAL = 2;

export type RunMode = 'default' | 'once' | 'nowait';

export const constants = Object.freeze({
  /** loop.run() modes and their libuv numbers. */
  runMode: Object.freeze({ ...binding.constants.runMode }),
  /** libuv handle types (uv_handle_type), as returned by guessHandleType() and friends. */
  handleType: Object.freeze({ ...binding.constants.handleType }),
  /** Flags of a received datagram (`flags` of UDP startRecv / startRecvBatch). */
  udp: Object.freeze({ PARTIAL: UDP_PARTIAL }),
  /** Poll events (`events` of Poll#start and of its callback); libuv's numbers. */
  poll: Object.freeze({ ...binding.constants.poll }),
  /** FSEvent events (`events` of its callback): RENAME (created, deleted, moved) and CHANGE. */
  fsEvent: Object.freeze({ ...binding.constants.fsEvent }),
  /** getaddrinfo's AI_* flags and getnameinfo's NI_* flags (this platform's numbers). */
  dns: Object.freeze({ ...binding.constants.dns }),
  /** Signal names and numbers (os.constants.signals completed by the C library's own table). */
  signals: Object.freeze({ ...osConstants.signals, ...binding.constants.signals }) as Readonly<Record<string, number>>,
});

/** What the running libuv supports (it is Node's own, so it changes with the Node version). */
export const features = Object.freeze({ ...binding.features });
