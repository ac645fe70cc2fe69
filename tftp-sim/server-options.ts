import type { Clock } from '../src/shared/clock.js';
import { EmulatorError } from '../src/shared/errors.js';
import type { EventBus } from '../src/shared/events.js';
import type { ListenOptions } from '../src/shared/lifecycle.js';
import type { Logger } from '../src/shared/logger.js';
import { MAX_REQUEST_BYTES, SERVER_DEFAULTS } from './constants.js';
import type { TftpEvent } from './events.js';
import type { FileProvider } from './file-provider.js';
import type { DatagramTransport } from './transport.js';

/** TftpServer's options, its listen options and its counters (conventions.md §11). */
export interface TftpServerOptions {
  /** Where files come from. */
  files: FileProvider;
  /** Datagram transport (default: real UDP). */
  transport?: DatagramTransport;
  /** Timers and durations (default: the system clock). */
  clock?: Clock;
  /** Bus for `tftp.*` events (default: a new one, at `server.events`). */
  events?: EventBus<TftpEvent>;
  logger?: Logger;
  /** Retransmission interval when the client negotiates no `timeout` (default 1000 ms). */
  timeoutMs?: number;
  /** Retransmissions without progress before a transfer is dropped (default 5). */
  maxRetries?: number;
  /** Live transfers in all (default 256); over it requests get ERROR 0 "server busy". */
  maxTransfers?: number;
  /** Live transfers per client IP address (default 8). */
  maxTransfersPerClient?: number;
  /** Largest block size agreed to (default 65464, RFC 2348's maximum). */
  maxBlockSize?: number;
  /** Largest window agreed to (default 64). */
  maxWindowSize?: number;
  /** Longest request accepted (default 512, RFC 2347). */
  maxRequestBytes?: number;
  /** Shortest retransmission interval a millisecond `timeout` value may set (default 100 ms). */
  minTimeoutMs?: number;
  /**
   * File bytes held by running transfers in all (default 512 MiB). A request whose file would
   * take the total over it gets ERROR 0 "server busy", like the transfer caps: with these three
   * limits the server's memory is bounded whatever the clients do.
   */
  maxBytesInFlight?: number;
}

/** Where `TftpServer.listen()` binds (conventions.md §8). */
export interface TftpListenOptions extends ListenOptions {
  /** Address to bind (default `0.0.0.0`). Transfer sockets bind the same address. */
  host?: string;
  /** Port for requests (default 69; 0 picks a free one). */
  port?: number;
}

/** The server's own counters (tests assert on these rather than on timing). */
export interface TftpServerStats {
  /** Transfers holding a slot: preparing (reading the file) or running with their own socket. */
  liveTransfers: number;
  /** Client addresses with at least one live transfer. */
  clientsWithTransfers: number;
  /** File bytes held by running transfers. */
  bytesInFlight: number;
  requests: number;
  completed: number;
  /** Transfers ended by an ERROR (sent or received) or aborted. */
  failed: number;
  timedOut: number;
  /** Requests answered with an ERROR before a transfer started (not found, access, options). */
  refused: number;
  /** Requests answered "server busy" because a cap was reached. */
  busy: number;
  /** Transfers never acknowledged that were ended to make room for a newer request at the cap. */
  evicted: number;
  /** Datagrams on the request port that did not decode, or were not a request. */
  malformed: number;
  /** Repeated RRQs from a client TID that already has a transfer (ignored). */
  duplicates: number;
}

/** The numeric limits, defaults applied. */
export type ServerLimits = Required<Omit<TftpServerOptions, 'files' | 'transport' | 'clock' | 'events' | 'logger'>>;

/** Applies defaults and checks every limit; throws `INVALID_ARGUMENT` before anything binds. */
export function resolveServerLimits(options: TftpServerOptions): ServerLimits {
  return {
    timeoutMs: positiveInt(options.timeoutMs, SERVER_DEFAULTS.timeoutMs, 'timeoutMs', 1, 255_000),
    maxRetries: positiveInt(options.maxRetries, SERVER_DEFAULTS.maxRetries, 'maxRetries', 0, 100),
    maxTransfers: positiveInt(options.maxTransfers, SERVER_DEFAULTS.maxTransfers, 'maxTransfers', 1, 65_536),
    maxTransfersPerClient: positiveInt(options.maxTransfersPerClient, SERVER_DEFAULTS.maxTransfersPerClient, 'maxTransfersPerClient', 1, 65_536),
    maxBlockSize: positiveInt(options.maxBlockSize, SERVER_DEFAULTS.maxBlockSize, 'maxBlockSize', 8, 65_464),
    maxWindowSize: positiveInt(options.maxWindowSize, SERVER_DEFAULTS.maxWindowSize, 'maxWindowSize', 1, 65_535),
    maxRequestBytes: positiveInt(options.maxRequestBytes, MAX_REQUEST_BYTES, 'maxRequestBytes', 4, 65_535),
    minTimeoutMs: positiveInt(options.minTimeoutMs, SERVER_DEFAULTS.minTimeoutMs, 'minTimeoutMs', 1, 255_000),
    maxBytesInFlight: positiveInt(options.maxBytesInFlight, SERVER_DEFAULTS.maxBytesInFlight, 'maxBytesInFlight', 0, Number.MAX_SAFE_INTEGER),
  };
}

function positiveInt(v: number | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new EmulatorError('INVALID_ARGUMENT', `${name} must be an integer in ${min}–${max}, not ${v}`);
  return v;
}
