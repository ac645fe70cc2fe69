import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type TLSSocketOptions } from 'node:tls';
import type { Clock, TimerHandle } from '../src/shared/clock.js';
import { EmulatorError, isEmulatorError } from '../src/shared/errors.js';
import type { EventBus } from '../src/shared/events.js';
import type { TvsAuthority, TvsQueryVerdict, TvsRequestInfo, TvsVerdict } from './authority.js';
import { buildTvsResponse, parseTvsRequest, type TvsRequest } from './elements.js';
import type { TvsCloseReason, TvsEvent } from './events.js';
import { TvsFramer } from './framer.js';
import type { PreparedIdentity } from './identity.js';
import { encodeTvsMessage, type TvsMessage } from './message.js';

/** What one connection needs from its server. */
export interface ConnectionContext {
  node: string;
  authority: TvsAuthority;
  events: EventBus<TvsEvent>;
  clock: Clock;
  idleTimeoutMs: number;
  connectionTimeoutMs: number;
  maxFrameBytes: number;
  defaultTtlSeconds: number;
}

/**
 * One TVS connection: TLS server handshake on an accepted TCP socket, one request, one answer,
 * close (formats.md §4.2, "Exchange (tvsd)"). No client certificate is requested: tvsd runs
 * with `CERT_NONE` and phone-behaviour.md TVS-3 notes the reference server never checks one.
 *
 * Bytes after the first complete request are ignored. A malformed request is not answered:
 * the connection is closed, as tvsd does, and a `tvs.error` says why.
 */
export class TvsConnection {
  readonly id: number;
  readonly #raw: Socket;
  readonly #tls: TLSSocket;
  readonly #ctx: ConnectionContext;
  readonly #framer: TvsFramer;
  readonly #deadline: number;
  #timer: TimerHandle | undefined;
  #reason: TvsCloseReason | undefined;
  #requested = false;
  readonly closed: Promise<TvsCloseReason>;

  constructor(id: number, raw: Socket, identity: PreparedIdentity, ctx: ConnectionContext) {
    this.id = id;
    this.#raw = raw;
    this.#ctx = ctx;
    this.#framer = new TvsFramer({ maxFrameBytes: ctx.maxFrameBytes });
    this.#deadline = ctx.clock.now() + ctx.connectionTimeoutMs;
    // allowHalfOpen: a client that sends its request and then shuts its side still gets the
    // answer. (Node passes it on to net.Socket; @types/node does not declare it here.)
    const options: TLSSocketOptions & { allowHalfOpen: boolean } = { isServer: true, secureContext: identity.context, requestCert: false, rejectUnauthorized: false, allowHalfOpen: true };
    this.#tls = new TLSSocket(raw, options);
    this.closed = new Promise((resolve) => {
      raw.once('close', () => {
        this.#ctx.clock.clearTimeout(this.#timer);
        resolve(this.#reason ?? 'peer-closed');
      });
    });
    this.#tls.on('secure', () => {
      this.#arm();
      const cipher = this.#tls.getCipher();
      ctx.events.emit({ type: 'tvs.handshake', node: ctx.node, id, protocol: this.#tls.getProtocol() ?? 'unknown', cipher: cipher.name, certificateSha256: identity.certificateSha256 });
    });
    this.#tls.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#tls.on('end', () => {
      if (!this.#requested) this.#finish('peer-closed');
    });
    this.#tls.on('error', (err: Error) => {
      if (this.#reason !== undefined) return;
      const error = isEmulatorError(err) ? err : new EmulatorError('TVS_TLS_FAILED', `TVS connection ${id}: ${err.message}`, { cause: err, details: { errno: (err as NodeJS.ErrnoException).code } });
      this.#fail(error);
    });
    this.#arm();
  }

  /** Destroys the connection now (the server is closing, or it timed out). */
  destroy(reason: TvsCloseReason): void {
    this.#finish(reason);
  }

  #arm(): void {
    const { clock, idleTimeoutMs } = this.#ctx;
    clock.clearTimeout(this.#timer);
    const now = clock.now();
    const idleAt = now + idleTimeoutMs;
    const reason: TvsCloseReason = idleAt < this.#deadline ? 'idle-timeout' : 'connection-timeout';
    this.#timer = clock.setTimeout(() => this.#finish(reason), Math.min(idleAt, this.#deadline) - now);
  }

  #onData(chunk: Buffer): void {
    if (this.#requested || this.#reason !== undefined) return;
    this.#arm();
    let messages: TvsMessage[];
    try {
      messages = this.#framer.push(chunk);
    } catch (err) {
      this.#fail(err);
      return;
    }
    const first = messages[0];
    if (first === undefined) return;
    this.#requested = true;
    void this.#answer(first);
  }

  async #answer(message: TvsMessage): Promise<void> {
    const { node, events } = this.#ctx;
    let request: TvsRequest;
    try {
      request = parseTvsRequest(message);
    } catch (err) {
      this.#fail(err);
      return;
    }
    const certificateSha256 = request.certificate ? createHash('sha256').update(request.certificate).digest('hex') : undefined;
    const common = {
      node,
      id: this.id,
      sessionId: request.sessionId,
      ...(request.deviceName !== undefined ? { deviceName: request.deviceName } : {}),
      ...(certificateSha256 !== undefined ? { certificateSha256 } : {}),
      ...(request.subject !== undefined ? { subject: request.subject } : {}),
    };
    events.emit({ type: 'tvs.request', command: request.command, ...common });
    let bytes: Uint8Array;
    let verdict: TvsVerdict;
    try {
      verdict = await this.#ask(request);
      const ttlSeconds = verdict.status === 'valid' ? (verdict.ttlSeconds ?? this.#ctx.defaultTtlSeconds) : undefined;
      bytes = encodeTvsMessage(buildTvsResponse({
        requestCommand: request.command,
        sessionId: request.sessionId,
        valid: verdict.status === 'valid',
        roles: verdict.roles,
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
        ...('certificates' in verdict ? { certificates: (verdict as TvsQueryVerdict).certificates } : {}),
      }));
      verdict = { status: verdict.status, roles: verdict.status === 'valid' ? [...verdict.roles] : [], ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) };
    } catch (err) {
      this.#fail(new EmulatorError('TVS_AUTHORITY_FAILED', `TVS authority failed: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (this.#reason !== undefined) return;
    events.emit({ type: 'tvs.verify.result', ...common, ...verdict });
    this.#reason = 'answered';
    this.#tls.end(bytes);
  }

  #ask(request: TvsRequest): TvsVerdict | TvsQueryVerdict | Promise<TvsVerdict | TvsQueryVerdict> {
    const { authority, node } = this.#ctx;
    const info: TvsRequestInfo = { command: request.command, sessionId: request.sessionId, node, ...(request.deviceName !== undefined ? { deviceName: request.deviceName } : {}) };
    if (request.certificate) return authority.verify(request.certificate, info);
    if (authority.lookupSubject) return authority.lookupSubject(request.subject!, info);
    return { status: 'invalid', roles: [] };
  }

  #fail(err: unknown): void {
    if (this.#reason !== undefined) return;
    const error = isEmulatorError(err) ? err : new EmulatorError('TVS_TLS_FAILED', String(err), { cause: err });
    this.#ctx.events.emit({ type: 'tvs.error', node: this.#ctx.node, id: this.id, error });
    this.#finish('error');
  }

  #finish(reason: TvsCloseReason): void {
    // The first reason wins: a connection that was answered and then lingered stays "answered".
    this.#reason ??= reason;
    this.#ctx.clock.clearTimeout(this.#timer);
    this.#tls.destroy();
    this.#raw.destroy();
  }
}
