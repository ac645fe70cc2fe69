import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../src/shared/clock.js';
import { DecodeError, EmulatorError } from '../src/shared/errors.js';
import { onAbort } from '../src/shared/lifecycle.js';
import {
  CLIENT_DEFAULTS, MAX_BLOCK_SIZE, MAX_TIMEOUT_SECONDS, MAX_WINDOW_SIZE, MIN_BLOCK_SIZE, MIN_TIMEOUT_SECONDS, TFTP_PORT, TftpErrorCode,
} from './constants.js';
import { TftpError } from './errors.js';
import { fromNetascii } from './netascii.js';
import { requestOptions, type RequestedOptions } from './options.js';
import { encodePacket } from './packet.js';
import { decodeOrRefuse, refuseStranger, SessionPump } from './pump.js';
import { errorPacket } from './read-session.js';
import { ReceiveSession, type ReceiveStep } from './receive-session.js';
import { udpTransport, type DatagramTransport, type Peer } from './transport.js';

/** Options of one fetch; {@link TftpClient} fixes them once for a phone. */
export interface TftpGetOptions {
  /** Server address or name. */
  host: string;
  /** Server request port (default 69). */
  port?: number;
  mode?: 'octet' | 'netascii';
  /** Ask for `blksize` (RFC 2348, 8–65464); not asked when absent. */
  blockSize?: number;
  /** Ask for `windowsize` (RFC 7440, 1–65535); not asked when absent. */
  windowSize?: number;
  /** Ask for `timeout` in seconds (RFC 2349, 1–255); also the retransmission interval. */
  timeoutSeconds?: number;
  /** Ask for `tsize` (RFC 2349) to learn the size up front. */
  tsize?: boolean;
  /** Retransmission interval (default `timeoutSeconds` × 1000, else 1000 ms). */
  timeoutMs?: number;
  /** Retransmissions without progress before giving up with `TFTP_TIMEOUT` (default 5). */
  maxRetries?: number;
  /** Largest file accepted (default 64 MiB); larger ends with ERROR 3 and `IO_TOO_LARGE`. */
  maxBytes?: number;
  /** How long the socket stays open after the last ACK to answer a repeated last block (default `timeoutMs`). */
  dallyMs?: number;
  /** Local address to bind (default any, of the server's family). */
  localAddress?: string;
  signal?: AbortSignal;
  transport?: DatagramTransport;
  clock?: Clock;
}

/** A completed fetch: the file and what was negotiated. */
export interface TftpGetResult {
  bytes: Uint8Array;
  /** The server's transfer ID (address and port of its transfer socket). */
  server: Peer;
  /** True when the server answered with an OACK. */
  negotiated: boolean;
  blockSize: number;
  windowSize: number;
  /** The size the server announced (`tsize`), when asked and given. */
  tsize?: number;
  /** Packets this client sent again after a timeout. */
  retransmits: number;
}

/**
 * Fetches one file (RFC 1350 RRQ, with RFC 2347 options). Resolves with the bytes; rejects
 * with a {@link TftpError} whose `code` names what happened: `TFTP_NOT_FOUND` (ERROR 1),
 * `TFTP_ACCESS_VIOLATION` (2), `TFTP_OPTION_REFUSED` (8, either side), `TFTP_REMOTE_ERROR`
 * (any other ERROR, number in `tftpCode`), `TFTP_TIMEOUT`, `TFTP_PROTOCOL_VIOLATION` or
 * `IO_TOO_LARGE`. An aborted `signal` rejects with the signal's reason.
 *
 * @note Errors are thrown rather than returned (conventions.md §7): a missing file is an
 * expected outcome for a phone (`CTLSEP<MAC>.tlv` on a non-secure cluster), but it always ends
 * the fetch, and callers branch on `err.code`, which is as cheap as a result tag. The phone
 * shell turns the code into its reducer's event.
 */
export async function tftpGet(file: string, options: TftpGetOptions): Promise<TftpGetResult> {
  const o = validate(options);
  o.signal?.throwIfAborted();
  const address = isIP(o.host)
    ? o.host
    : await lookup(o.host).then((a) => a.address, (cause: unknown) => {
        throw new EmulatorError('INVALID_ARGUMENT', `TFTP server ${o.host} does not resolve: ${(cause as Error).message}`, { cause });
      });
  const server: Peer = { address, port: o.port };
  const endpoint = await o.transport.bind({ address: o.localAddress ?? (isIP(address) === 6 ? '::' : '0.0.0.0'), port: 0 });
  const request = encodePacket({ type: 'RRQ', filename: file, mode: o.mode, options: requestOptions(o.requested) });
  const session = new ReceiveSession(request, o.requested, o.maxRetries, o.maxBytes);
  return new Promise<TftpGetResult>((resolve, reject) => {
    let peer: Peer | undefined;
    const finish = (closeAfterMs: number): void => {
      pump.stop();
      detach();
      if (closeAfterMs > 0) o.clock.setTimeout(() => void endpoint.close(), closeAfterMs);
      else void endpoint.close();
    };
    const pump = new SessionPump<ReceiveStep>({
      send: (d) => endpoint.send(d, peer ?? server),
      clock: o.clock,
      timeoutMs: () => o.timeoutMs,
      session,
      onOutcome: (step) => {
        const outcome = step.outcome!;
        if (outcome.kind === 'complete') {
          const p = session.parameters;
          finish(o.dallyMs);
          // While dallying, a repeated last block means our last ACK was lost: send it again.
          endpoint.onMessage((msg, from) => {
            if (peer && from.port === peer.port && from.address === peer.address && msg[1] === 3) endpoint.send(session.lastSent, peer);
          });
          resolve({
            bytes: o.mode === 'netascii' ? fromNetascii(outcome.bytes) : outcome.bytes,
            server: peer ?? server, negotiated: p.negotiated, blockSize: p.blockSize, windowSize: p.windowSize,
            ...(p.tsize !== undefined ? { tsize: p.tsize } : {}), retransmits: session.retransmits,
          });
          return;
        }
        finish(0);
        const { code, message, tftpCode } = outcome;
        reject(new TftpError(code, `${file} from ${server.address}:${server.port}: ${message}`, tftpCode, { details: { file, server: `${server.address}:${server.port}` } }));
      },
    });
    endpoint.onMessage((msg, from) => {
      if (pump.stopped) return;
      if (!peer) {
        // The first answer fixes the server's transfer ID (RFC 1350 §4); it must come from
        // the address the request went to.
        if (!sameAddress(from.address, server.address)) return;
        peer = from;
      } else if (from.port !== peer.port || from.address !== peer.address) {
        return refuseStranger(msg, (d) => endpoint.send(d, from));
      }
      const packet = decodeOrRefuse(msg, (d) => endpoint.send(d, peer!));
      if (packet instanceof DecodeError) {
        finish(0);
        reject(new TftpError('TFTP_PROTOCOL_VIOLATION', `${file}: malformed packet from the server: ${packet.message}`, TftpErrorCode.ILLEGAL_OPERATION, { cause: packet }));
        return;
      }
      pump.apply(session.onPacket(packet));
    });
    const detach = onAbort(o.signal, () => {
      if (pump.stopped) return;
      if (peer) endpoint.send(errorPacket(TftpErrorCode.NOT_DEFINED, 'transfer cancelled'), peer);
      finish(0);
      reject(o.signal!.reason);
    });
    pump.apply(session.start());
  });
}

/** The same client with defaults (server, options, transport, clock) fixed once, for a phone. */
export class TftpClient {
  constructor(readonly defaults: TftpGetOptions) {
    validate(defaults);
  }

  get(file: string, overrides: Partial<TftpGetOptions> = {}): Promise<TftpGetResult> {
    return tftpGet(file, { ...this.defaults, ...overrides });
  }
}

interface ValidOptions {
  host: string;
  port: number;
  mode: 'octet' | 'netascii';
  requested: RequestedOptions;
  timeoutMs: number;
  maxRetries: number;
  maxBytes: number;
  dallyMs: number;
  localAddress?: string;
  signal?: AbortSignal;
  transport: DatagramTransport;
  clock: Clock;
}

function validate(o: TftpGetOptions): ValidOptions {
  const int = (v: number | undefined, name: string, min: number, max: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) throw new EmulatorError('INVALID_ARGUMENT', `${name} must be an integer in ${min}–${max}, not ${v}`);
  };
  if (!o.host) throw new EmulatorError('INVALID_ARGUMENT', 'tftpGet needs a host');
  int(o.port, 'port', 1, 65535);
  int(o.blockSize, 'blockSize', MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
  int(o.windowSize, 'windowSize', 1, MAX_WINDOW_SIZE);
  int(o.timeoutSeconds, 'timeoutSeconds', MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  int(o.timeoutMs, 'timeoutMs', 1, 255_000);
  int(o.maxRetries, 'maxRetries', 0, 100);
  int(o.maxBytes, 'maxBytes', 0, 2 ** 40);
  int(o.dallyMs, 'dallyMs', 0, 255_000);
  if (o.mode !== undefined && o.mode !== 'octet' && o.mode !== 'netascii') throw new EmulatorError('INVALID_ARGUMENT', `mode must be octet or netascii, not ${String(o.mode)}`);
  const timeoutMs = o.timeoutMs ?? (o.timeoutSeconds !== undefined ? o.timeoutSeconds * 1000 : CLIENT_DEFAULTS.timeoutMs);
  const requested: RequestedOptions = {
    ...(o.blockSize !== undefined ? { blockSize: o.blockSize } : {}),
    ...(o.windowSize !== undefined ? { windowSize: o.windowSize } : {}),
    ...(o.timeoutSeconds !== undefined ? { timeoutSeconds: o.timeoutSeconds } : {}),
    ...(o.tsize ? { tsize: true } : {}),
  };
  return {
    host: o.host, port: o.port ?? TFTP_PORT, mode: o.mode ?? 'octet', requested, timeoutMs,
    maxRetries: o.maxRetries ?? CLIENT_DEFAULTS.maxRetries, maxBytes: o.maxBytes ?? CLIENT_DEFAULTS.maxBytes, dallyMs: o.dallyMs ?? timeoutMs,
    ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    transport: o.transport ?? udpTransport, clock: o.clock ?? systemClock,
  };
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are the same peer (dual-stack sockets report the former). */
function sameAddress(a: string, b: string): boolean {
  const strip = (s: string): string => (s.startsWith('::ffff:') ? s.slice(7) : s);
  return strip(a) === strip(b);
}
