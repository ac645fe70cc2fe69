import { createServer, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError, type DecodeError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import { remoteOf } from '../shared/connections.js';
import { TrustAnchorCache } from '../sip/index.js';
import { TrackedServer } from '../shared/tracked-server.js';
import type { CapfAuthority } from './authority.js';
import { CAPF_IDLE_TIMEOUT_MS, CAPF_KEYGEN_TIMEOUT_MS, CAPF_MAX_CONNECTIONS, CAPF_MAX_FRAME_BYTES, CAPF_PORT } from './constants.js';
import type { CapfEvent } from './events.js';
import { CapfFramer } from './framer.js';
import { CapfInbox } from './inbox.js';
import { encodeCapfMessage } from './message.js';
import { runCapfSession } from './session.js';

export interface CapfServerOptions {
  authority: CapfAuthority;
  /** Address to bind. Default `127.0.0.1` (clusters in one lab use distinct 127.0.0.x). */
  host?: string;
  /** Default 3804; tests pass 0. */
  port?: number;
  /** Time for timeouts and certificate validity. Default the system clock. */
  clock?: Clock;
  events?: EventBus<CapfEvent>;
  /** Wait for the handshake and for each phone message. Default 30 s. */
  idleTimeoutMs?: number;
  /** Wait for KEY_GEN_RESP (CAPF-3: key generation can take 30 minutes). Default 45 min. */
  keyGenTimeoutMs?: number;
  /** Simultaneous connections; more are destroyed on accept. Default 1024. */
  maxConnections?: number;
  /** Framer cap per message. Default 16 KiB. */
  maxFrameBytes?: number;
  /** Session id of the first session; each later one adds 1 (capfd counts from 1). Default 1. */
  firstSessionId?: number;
}

/**
 * CAPF on TLS 3804 (formats.md §5, phone-behaviour.md §11). The server speaks first; each
 * connection is one session (session.ts). It is a thin shell over a {@link CapfAuthority}: the
 * CAPF identity is read from the authority for every connection and turned into a TLS context
 * that is cached until the certificate or key changes, so a regenerated CAPF certificate is what
 * the next phone sees, without a restart. No client certificate is requested (capfd: CERT_NONE);
 * the phone authenticates inside the protocol.
 */
export class CapfServer extends TrackedServer {
  readonly #o: Required<Omit<CapfServerOptions, 'events'>>;
  readonly events: EventBus<CapfEvent>;
  readonly #trust = new TrustAnchorCache();
  #context: { certPem: string; keyPem: string; context: SecureContext } | undefined;
  #nextSession: number;
  /** The one live authenticated session of each device (session.ts `claim`). */
  readonly #byDevice = new Map<string, { sessionId: number; inbox: CapfInbox }>();

  constructor(options: CapfServerOptions) {
    super('CapfServer', {
      host: options?.host ?? '127.0.0.1',
      port: options?.port ?? CAPF_PORT,
      clock: options?.clock ?? systemClock,
      idleTimeoutMs: options?.idleTimeoutMs ?? CAPF_IDLE_TIMEOUT_MS,
      maxConnections: options?.maxConnections ?? CAPF_MAX_CONNECTIONS,
    });
    if (!options?.authority) throw new EmulatorError('INVALID_ARGUMENT', 'CapfServer needs an authority');
    this.#o = {
      ...this.bind,
      authority: options.authority,
      keyGenTimeoutMs: options.keyGenTimeoutMs ?? CAPF_KEYGEN_TIMEOUT_MS,
      maxFrameBytes: options.maxFrameBytes ?? CAPF_MAX_FRAME_BYTES,
      firstSessionId: options.firstSessionId ?? 1,
    };
    for (const k of ['keyGenTimeoutMs', 'maxFrameBytes'] as const) {
      if (!Number.isInteger(this.#o[k]) || this.#o[k] <= 0) throw new EmulatorError('INVALID_ARGUMENT', `CapfServer ${k} must be a positive integer, got ${this.#o[k]}`);
    }
    this.events = options.events ?? new EventBus<CapfEvent>();
    this.#nextSession = this.#o.firstSessionId >>> 0;
    this.attach(createServer((socket) => this.#accept(socket)));
  }

  protected onIdle(s: Socket): void {
    this.events.emit({ type: 'capf.error', remote: remoteOf(s), code: 'IDLE_TIMEOUT', message: `no data for ${this.#o.idleTimeoutMs} ms` });
  }

  #secureContext(): SecureContext {
    const id = this.#o.authority.identity();
    const c = this.#context;
    if (c && c.certPem === id.certPem && c.keyPem === id.keyPem) return c.context;
    const context = createSecureContext({ cert: id.certPem, key: id.keyPem });
    this.#context = { certPem: id.certPem, keyPem: id.keyPem, context };
    return context;
  }

  #accept(raw: Socket): void {
    const remote = remoteOf(raw);
    if (!this.admit(raw)) {
      this.events.emit({ type: 'capf.refused', reason: 'too many connections', remote });
      return;
    }
    raw.on('error', () => undefined);
    let context: SecureContext;
    try {
      context = this.#secureContext();
    } catch (err) {
      this.events.emit({ type: 'capf.error', remote, code: 'PKI_BAD_KEY', message: `CAPF identity unusable: ${(err as Error).message}` });
      raw.destroy();
      return;
    }
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    let secured = false;
    tls.on('error', (err: NodeJS.ErrnoException) => {
      // After the handshake a reset just ends the session (the inbox reports "peer closed").
      if (!secured) this.events.emit({ type: 'capf.error', remote, code: err.code ?? 'TLS_ERROR', message: err.message });
      raw.destroy();
    });
    tls.once('secure', () => {
      secured = true;
      // From here the session's own waits (idle, key generation) govern; the tracker only
      // guards against a session that never finishes.
      this.tracker.touch(raw, this.#o.keyGenTimeoutMs + 2 * this.#o.idleTimeoutMs);
      this.#session(tls, raw, remote);
    });
  }

  #session(tls: TLSSocket, raw: Socket, remote: string): void {
    const sessionId = this.#nextSession;
    this.#nextSession = (this.#nextSession + 1) >>> 0;
    const inbox = new CapfInbox(this.#o.clock);
    let claimed: string | undefined;
    const framer = new CapfFramer({ maxFrameBytes: this.#o.maxFrameBytes });
    tls.on('data', (chunk: Buffer) => {
      try {
        for (const m of framer.push(chunk)) inbox.push(m);
      } catch (err) {
        inbox.fail(err as DecodeError);
      }
    });
    tls.on('close', () => inbox.close());
    tls.on('end', () => inbox.close());
    const authority = this.#o.authority;
    let anchors;
    try {
      anchors = this.#trust.get([...authority.trustForAuth(), authority.identity().certPem]);
    } catch (err) {
      this.events.emit({ type: 'capf.error', remote, code: 'AUTHORITY_FAILED', message: (err as Error).message });
      raw.destroy();
      return;
    }
    void runCapfSession({
      sessionId, remote, authority, anchors, clock: this.#o.clock,
      idleTimeoutMs: this.#o.idleTimeoutMs, keyGenTimeoutMs: this.#o.keyGenTimeoutMs, inbox,
      send: (m) => {
        if (!tls.destroyed && tls.writable) tls.write(encodeCapfMessage(m));
      },
      claim: (deviceName) => {
        claimed = deviceName;
        this.#byDevice.get(deviceName)?.inbox.supersede();
        this.#byDevice.set(deviceName, { sessionId, inbox });
      },
      emit: (e) => this.events.emit(e),
    }).finally(() => {
      if (claimed !== undefined && this.#byDevice.get(claimed)?.sessionId === sessionId) this.#byDevice.delete(claimed);
      // capfd closes after END_SESSION; the idle timer destroys a peer that never closes its side.
      this.tracker.touch(raw);
      tls.end();
    });
  }
}
