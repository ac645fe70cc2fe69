import { isIP } from 'node:net';
import { connect, type SecureContext, type TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../src/shared/clock.js';
import { EmulatorError, isEmulatorError } from '../src/shared/errors.js';
import { TvsFramer } from './framer.js';
import { encodeTvsMessage, type TvsMessage } from './message.js';
import type { TvsTrust } from './trust.js';

/** Where to reach one TVS server. */
export interface TvsEndpoint {
  host: string;
  port: number;
  /** Source address to connect from (a fleet spreads phones over 127.0.0.x). */
  localAddress?: string;
}

/** How one TLS exchange with a TVS server ended. */
export type ExchangeResult =
  | { kind: 'answer'; message: TvsMessage; serverCertificate: Uint8Array }
  | { kind: 'server-certificate-not-trusted'; serverCertificate: Uint8Array | undefined }
  | { kind: 'connection-refused'; errno: string }
  | { kind: 'handshake-failed'; detail: string }
  | { kind: 'timeout'; stage: 'connect' | 'handshake' | 'answer' }
  | { kind: 'malformed-answer'; error: EmulatorError }
  | { kind: 'aborted'; reason: unknown };

/** Options of {@link tvsExchange}; `tvsVerify` fills them from its own. */
export interface ExchangeOptions {
  trust: TvsTrust;
  timeoutMs: number;
  clock: Clock;
  maxFrameBytes: number;
  /** A client context shared by the attempts of one verification (TLS versions, ciphers). */
  secureContext?: SecureContext;
  signal?: AbortSignal;
}

/**
 * One TLS connection to one TVS server: handshake, check the server's certificate against the
 * caller's trusted TVS certificates *before sending anything*, send one request, read one
 * answer, close (formats.md §4.2).
 *
 * @note The TLS stack is told not to verify (`rejectUnauthorized: false`, no host-name check)
 * and the leaf the server proved it holds the key for is then compared with {@link TvsTrust}.
 * A `ca` list would also accept any certificate *issued by* a trusted one and would check
 * validity against the wall clock rather than the lab's clock.
 */
export function tvsExchange(endpoint: TvsEndpoint, request: TvsMessage, o: ExchangeOptions): Promise<ExchangeResult> {
  const bytes = encodeTvsMessage(request);
  return new Promise((resolve) => {
    if (o.signal?.aborted) {
      resolve({ kind: 'aborted', reason: o.signal.reason });
      return;
    }
    const framer = new TvsFramer({ maxFrameBytes: o.maxFrameBytes });
    let stage: 'connect' | 'handshake' | 'answer' = 'connect';
    let settled = false;
    let timer: TimerHandle | undefined;
    const socket: TLSSocket = connect({
      host: endpoint.host,
      port: endpoint.port,
      ...(endpoint.localAddress ? { localAddress: endpoint.localAddress } : {}),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }),
      ...(o.secureContext ? { secureContext: o.secureContext } : {}),
    });
    const finish = (result: ExchangeResult): void => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(timer);
      o.signal?.removeEventListener('abort', abort);
      socket.destroy();
      resolve(result);
    };
    const abort = (): void => finish({ kind: 'aborted', reason: o.signal?.reason });
    o.signal?.addEventListener('abort', abort, { once: true });
    timer = o.clock.setTimeout(() => finish({ kind: 'timeout', stage }), o.timeoutMs);

    socket.once('connect', () => {
      stage = 'handshake';
    });
    socket.once('secureConnect', () => {
      stage = 'answer';
      // The leaf only (`getPeerCertificate` would also build fingerprints and the chain).
      const raw = socket.getPeerX509Certificate()?.raw;
      const presented = raw ? new Uint8Array(raw) : undefined;
      if (!o.trust.trusts(presented)) {
        finish({ kind: 'server-certificate-not-trusted', serverCertificate: presented });
        return;
      }
      socket.on('data', (chunk: Buffer) => {
        try {
          const [first] = framer.push(chunk);
          if (first) finish({ kind: 'answer', message: first, serverCertificate: presented! });
        } catch (err) {
          finish({ kind: 'malformed-answer', error: isEmulatorError(err) ? err : new EmulatorError('TVS_MALFORMED', String(err), { cause: err }) });
        }
      });
      socket.write(bytes);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (stage === 'connect') finish({ kind: 'connection-refused', errno: err.code ?? err.message });
      else if (stage === 'handshake') finish({ kind: 'handshake-failed', detail: err.code ? `${err.code}: ${err.message}` : err.message });
      else finish({ kind: 'malformed-answer', error: noAnswer(framer, err) });
    });
    socket.on('close', () => {
      if (stage === 'handshake') finish({ kind: 'handshake-failed', detail: 'the server closed the connection during the handshake' });
      else if (stage === 'answer') finish({ kind: 'malformed-answer', error: noAnswer(framer) });
      else finish({ kind: 'connection-refused', errno: 'ECONNCLOSED' });
    });
  });
}

function noAnswer(framer: TvsFramer, cause?: Error): EmulatorError {
  const partial = framer.buffered > 0 ? ` after ${framer.buffered} bytes of an answer` : '';
  return new EmulatorError('TVS_NO_ANSWER', `the TVS server closed the connection without a complete answer${partial}${cause ? ` (${cause.message})` : ''}`, {
    ...(cause ? { cause } : {}),
    details: { buffered: framer.buffered },
  });
}
