import { codeNames } from '../src/shared/code-table.js';

/**
 * TFTP protocol numbers and the limits and defaults of trustlab's TFTP server and client
 * (conventions.md §11). Each value cites the RFC that fixes it or says why it was chosen.
 */

/** Packet opcodes: RFC 1350 §5 (1–5) and RFC 2347 (6, OACK). */
export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
/** An opcode as a number on the wire. */
export type OpcodeNumber = (typeof Opcode)[keyof typeof Opcode];
/** An opcode's name: RRQ, WRQ, DATA, ACK, ERROR, OACK. */
export type PacketType = keyof typeof Opcode;

/** Opcode number → packet type name. */
export const OPCODE_NAMES = codeNames(Opcode) as Readonly<Record<number, PacketType>>;

/** ERROR packet codes: RFC 1350 Appendix (0–7) and RFC 2347 (8). */
export const TftpErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;

/** RFC 1350 §2 port for requests; the transfer itself moves to fresh ports (transfer IDs). */
export const TFTP_PORT = 69;

/** RFC 1350 §2: DATA blocks carry 512 bytes unless `blksize` is negotiated. */
export const DEFAULT_BLOCK_SIZE = 512;

/** RFC 2348: "Valid values range between 8 and 65464 octets, inclusive." */
export const MIN_BLOCK_SIZE = 8;
export const MAX_BLOCK_SIZE = 65464;

/** RFC 2349: "Valid values range between 1 and 255 seconds, inclusive." */
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 255;

/** RFC 7440 §3: "Valid values range between 1 and 65535 blocks, inclusive." */
export const MIN_WINDOW_SIZE = 1;
export const MAX_WINDOW_SIZE = 65535;

/** RFC 2347 "Packet Formats": "The maximum size of a request packet is 512 octets." */
export const MAX_REQUEST_BYTES = 512;

/**
 * Block numbers are 16 bits; after block 65535 the next block is 0. RFC 1350 does not say;
 * 0 is what tftp-hpa, atftp and curl expect (docs/decisions/008-tftp.md).
 */
export const BLOCK_MODULO = 0x10000;

/** Server defaults (TftpServerOptions documents each). */
export const SERVER_DEFAULTS = {
  /** Retransmission interval when the client negotiates no `timeout` (tftp-hpa uses 1 s). */
  timeoutMs: 1000,
  /** Retransmissions of one packet before the transfer is dropped (tftp-hpa gives up after ~6). */
  maxRetries: 5,
  /** Live transfers over all clients; beyond it requests get ERROR 0 "server busy". */
  maxTransfers: 256,
  /** Live transfers per client IP address (a phone fetches one file at a time). */
  maxTransfersPerClient: 8,
  /** Largest block size the server agrees to (RFC 2348 maximum). */
  maxBlockSize: MAX_BLOCK_SIZE,
  /** Largest window the server agrees to: bounds each burst to 64 datagrams. */
  maxWindowSize: 64,
  /** Shortest retransmission interval a millisecond `timeout` value may set (see options.ts). */
  minTimeoutMs: 100,
  /** File bytes held by running transfers: 512 MiB (8 firmware loads, or 50 000 ITLs). */
  maxBytesInFlight: 512 * 1024 * 1024,
} as const;

/** Client defaults (TftpGetOptions documents each). */
export const CLIENT_DEFAULTS = {
  timeoutMs: 1000,
  maxRetries: 5,
  /** Largest file the client accepts: 64 MiB, far above any phone file. */
  maxBytes: 64 * 1024 * 1024,
} as const;

/**
 * Retransmissions of a transfer's first datagram (DATA 1 or the OACK) before the client has
 * acknowledged anything. A request from a spoofed address is then answered by at most three
 * datagrams, 1 s and 2 s apart, where RFC 1350's retransmission would send six (issue 15 §3: 264
 * RRQs, about 5 KB, made the server send 792,856 bytes).
 */
export const UNACKED_RETRIES = 2;
