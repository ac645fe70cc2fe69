import {
  DEFAULT_BLOCK_SIZE, MAX_BLOCK_SIZE, MAX_TIMEOUT_SECONDS, MAX_WINDOW_SIZE, MIN_BLOCK_SIZE, MIN_TIMEOUT_SECONDS, MIN_WINDOW_SIZE,
} from './constants.js';
import type { TftpOption } from './packet.js';

/**
 * Option negotiation for a read request (RFC 2347, with RFC 2348 blksize, RFC 2349 timeout and
 * tsize, RFC 7440 windowsize). Names are matched case-insensitively (RFC 2347: "OptN … in
 * case-insensitive ASCII"). An option the server does not know, or whose value is not a
 * decimal number in the RFC's range, is left out of the OACK and has no effect: RFC 2347 lets
 * a server omit options it does not accept, and the client then uses the RFC 1350 default.
 *
 * Two exceptions: a `timeout` given in milliseconds (see {@link interpretTimeout}), and
 * `tsize` for an empty file, which is left out (see the note in the code).
 */
export interface ServerOptionLimits {
  maxBlockSize: number;
  maxWindowSize: number;
  /** Retransmission interval used when `timeout` is not negotiated. */
  defaultTimeoutMs: number;
  /** Floor for a millisecond `timeout` value. */
  minTimeoutMs: number;
}

/** What a transfer runs with after negotiation. */
export interface TransferParameters {
  blockSize: number;
  windowSize: number;
  timeoutMs: number;
}

/** The outcome of {@link negotiateReadOptions}: parameters and OACK, or why to send ERROR 8. */
export type NegotiationResult =
  | { ok: true; parameters: TransferParameters; /** Options for the OACK, empty for none. */ oack: TftpOption[]; /** Options ignored, with why. */ ignored: Array<{ name: string; value: string; why: string }> }
  | { ok: false; /** Why the request's options are refused (sent with ERROR 8). */ reason: string };

const KNOWN = new Set(['blksize', 'timeout', 'tsize', 'windowsize']);

/** A decimal number of at most 10 digits, or undefined. */
export function parseDecimal(value: string): number | undefined {
  return /^[0-9]{1,10}$/.test(value) ? Number(value) : undefined;
}

/**
 * How a `timeout` option value is read. RFC 2349 gives whole seconds, 1–255. Some clients send
 * milliseconds instead (the node `tftp` package sends `timeout 3000` for its 3 s default;
 * gagle/node-tftp issue 10), which no RFC client can mean since it is out of range. So:
 *
 * - 1–255: seconds. Acknowledged in the OACK with the client's own text, as RFC 2349 requires
 *   ("The specified timeout value must match the value specified by the client").
 * - 256–255000: out of range for RFC 2349, so it is *not* acknowledged (the client sees no
 *   `timeout` in the OACK and keeps its own timer), but the server reads it as milliseconds and
 *   retransmits at that interval (at least `minTimeoutMs`), matching what the client meant.
 * - anything else (0, larger, not a number): ignored.
 *
 * The rule is recorded in docs/decisions/008-tftp.md.
 */
export function interpretTimeout(value: string, minTimeoutMs: number): { ms: number; acknowledge: boolean } | undefined {
  const n = parseDecimal(value);
  if (n === undefined) return undefined;
  if (n >= MIN_TIMEOUT_SECONDS && n <= MAX_TIMEOUT_SECONDS) return { ms: n * 1000, acknowledge: true };
  if (n > MAX_TIMEOUT_SECONDS && n <= MAX_TIMEOUT_SECONDS * 1000) return { ms: Math.max(minTimeoutMs, n), acknowledge: false };
  return undefined;
}

/**
 * Negotiates a read request's options against the server's limits. `fileSize` answers `tsize`
 * (RFC 2349: the client sends 0 in an RRQ and the server returns the size). A known option named
 * twice is refused (ERROR 8): the request is ambiguous and RFC 2347 gives no precedence.
 */
export function negotiateReadOptions(options: readonly TftpOption[], fileSize: number, limits: ServerOptionLimits): NegotiationResult {
  const seen = new Set<string>();
  const parameters: TransferParameters = { blockSize: DEFAULT_BLOCK_SIZE, windowSize: 1, timeoutMs: limits.defaultTimeoutMs };
  const oack: TftpOption[] = [];
  const ignored: Array<{ name: string; value: string; why: string }> = [];
  for (const { name, value } of options) {
    const key = name.toLowerCase();
    if (!KNOWN.has(key)) {
      ignored.push({ name, value, why: 'unknown option' });
      continue;
    }
    if (seen.has(key)) return { ok: false, reason: `option ${key} appears twice` };
    seen.add(key);
    const n = parseDecimal(value);
    switch (key) {
      case 'blksize':
        // RFC 2348: the OACK value "must be less than or equal to the value specified by the client".
        if (n === undefined || n < MIN_BLOCK_SIZE || n > MAX_BLOCK_SIZE) ignored.push({ name, value, why: `blksize outside ${MIN_BLOCK_SIZE}–${MAX_BLOCK_SIZE}` });
        else {
          parameters.blockSize = Math.min(n, limits.maxBlockSize);
          oack.push({ name, value: String(parameters.blockSize) });
        }
        break;
      case 'windowsize':
        // RFC 7440 §3: the server may answer a smaller window than the client asked for.
        if (n === undefined || n < MIN_WINDOW_SIZE || n > MAX_WINDOW_SIZE) ignored.push({ name, value, why: `windowsize outside ${MIN_WINDOW_SIZE}–${MAX_WINDOW_SIZE}` });
        else {
          parameters.windowSize = Math.min(n, limits.maxWindowSize);
          oack.push({ name, value: String(parameters.windowSize) });
        }
        break;
      case 'timeout': {
        const t = interpretTimeout(value, limits.minTimeoutMs);
        if (!t) ignored.push({ name, value, why: 'timeout not in 1–255 s or 256–255000 ms' });
        else {
          parameters.timeoutMs = t.ms;
          if (t.acknowledge) oack.push({ name, value });
          else ignored.push({ name, value, why: `read as ${t.ms} ms; not acknowledged (RFC 2349 allows 1–255 s)` });
        }
        break;
      }
      case 'tsize':
        if (n === undefined) ignored.push({ name, value, why: 'tsize is not a number' });
        // @note curl (lib/tftp.c, tftp_parse_option_ack) fails a download whose OACK says
        // `tsize 0` with CURLE_TFTP_ILLEGAL, so an empty file's size is left out of the OACK,
        // which RFC 2347 allows for any option; the client learns the size from the short block.
        else if (fileSize === 0) ignored.push({ name, value, why: 'tsize 0 left out: curl rejects it' });
        else oack.push({ name, value: String(fileSize) });
        break;
    }
  }
  return { ok: true, parameters, oack, ignored };
}

/** What a client asks for in its request (each undefined = not requested). */
export interface RequestedOptions {
  blockSize?: number;
  windowSize?: number;
  timeoutSeconds?: number;
  tsize?: boolean;
}

/** The request options for {@link RequestedOptions}, in a fixed order. */
export function requestOptions(o: RequestedOptions): TftpOption[] {
  const out: TftpOption[] = [];
  if (o.blockSize !== undefined) out.push({ name: 'blksize', value: String(o.blockSize) });
  if (o.tsize) out.push({ name: 'tsize', value: '0' });
  if (o.timeoutSeconds !== undefined) out.push({ name: 'timeout', value: String(o.timeoutSeconds) });
  if (o.windowSize !== undefined) out.push({ name: 'windowsize', value: String(o.windowSize) });
  return out;
}

/** The outcome of {@link checkOack}: what the transfer runs with, or why to send ERROR 8. */
export type OackCheck =
  | { ok: true; blockSize: number; windowSize: number; timeoutSeconds?: number; tsize?: number }
  | { ok: false; reason: string };

/**
 * A client's check of the server's OACK (RFC 2347: an OACK holds only options the client
 * asked for; RFC 2348/7440: values no larger than requested; RFC 2349: the same timeout).
 * Anything else must be refused with ERROR 8.
 */
export function checkOack(options: readonly TftpOption[], requested: RequestedOptions): OackCheck {
  const out: { ok: true; blockSize: number; windowSize: number; timeoutSeconds?: number; tsize?: number } = { ok: true, blockSize: DEFAULT_BLOCK_SIZE, windowSize: 1 };
  const seen = new Set<string>();
  for (const { name, value } of options) {
    const key = name.toLowerCase();
    if (seen.has(key)) return { ok: false, reason: `OACK names ${key} twice` };
    seen.add(key);
    const n = parseDecimal(value);
    if (key === 'blksize' && requested.blockSize !== undefined) {
      if (n === undefined || n < MIN_BLOCK_SIZE || n > requested.blockSize) return { ok: false, reason: `OACK blksize ${value} is not in ${MIN_BLOCK_SIZE}–${requested.blockSize}` };
      out.blockSize = n;
    } else if (key === 'windowsize' && requested.windowSize !== undefined) {
      if (n === undefined || n < MIN_WINDOW_SIZE || n > requested.windowSize) return { ok: false, reason: `OACK windowsize ${value} is not in 1–${requested.windowSize}` };
      out.windowSize = n;
    } else if (key === 'timeout' && requested.timeoutSeconds !== undefined) {
      if (n !== requested.timeoutSeconds) return { ok: false, reason: `OACK timeout ${value} differs from the ${requested.timeoutSeconds} requested` };
      out.timeoutSeconds = n;
    } else if (key === 'tsize' && requested.tsize) {
      if (n === undefined) return { ok: false, reason: `OACK tsize ${value} is not a number` };
      out.tsize = n;
    } else {
      return { ok: false, reason: `OACK carries ${name}, which was not requested` };
    }
  }
  return out;
}
