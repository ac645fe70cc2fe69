import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import { onAbort, ServerLifecycle, type ListenOptions, type ServerState, type Startable } from '../shared/lifecycle.js';
import { SIP_FIRST_REQUEST_TIMEOUT_MS, SIP_HANDSHAKE_TIMEOUT_MS, SIP_IDLE_TIMEOUT_MS, SIP_MAX_CONNECTIONS, SIP_TCP_PORT, SIP_TLS_PORT } from './constants.js';
import { ConnectionTracker, defaultSourceShare, listenOn, remoteOf } from '../shared/connections.js';
import type { SipEvent, SipRefusal } from './events.js';
import { HandshakeTap, type TapVerdict } from './handshake-tap.js';
import { DEFAULT_SIP_LIMITS, type SipLimits } from './parser.js';
import { alertFor, commonName, TLS_ALERT, TrustAnchorCache, type PeerTrustResult, type TrustAnchors } from './peer-trust.js';
import { classifyTlsError, oneLine, peerChain, refusalOf, summary } from './tls-peer.js';
import type { RegistrarPolicy } from './policy.js';
import type { ConnectionFacts } from './register.js';
import { RegistrationTable, type Registration } from './registrations.js';
import { RegistrarContextCache } from './secure-context.js';
import { serveSipStream } from './sip-stream.js';

export interface SipRegistrarOptions {
  policy: RegistrarPolicy;
  /** Address for both listeners. Default `127.0.0.1`. */
  host?: string;
  /** SIP over TLS. Default 5061; tests pass 0. */
  tlsPort?: number;
  /** SIP over TCP for non-secure phones. Default 5060; `null` disables it. */
  tcpPort?: number | null;
  clock?: Clock;
  events?: EventBus<SipEvent>;
  /** Drop a connection with no traffic for this long. Default 300 s. */
  idleTimeoutMs?: number;
  /** The TLS handshake must finish this long after the TCP accept (half-open TLS). Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Simultaneous connections per listener (5060 and 5061 separately). Default 4096. */
  maxConnections?: number;
  /** Connections one source address may hold per listener. Default half of `maxConnections`. */
  maxPerSource?: number;
  /** The first request must be complete this long after the accept (TCP) or the handshake (TLS). Default 10 s. */
  firstRequestTimeoutMs?: number;
  /** Parser bounds (head bytes, header count, body bytes). */
  limits?: Partial<SipLimits>;
  /** Allow TLS 1.3 (CUCM 15SU2+); the certificate is then checked after the handshake, without an alert. Default false. */
  tls13?: boolean;
  /**
   * Refuse a bad client certificate inside the handshake with the alert CUCM sends (unknown_ca,
   * handshake_failure, …) by reading the handshake through a JavaScript tap. Default true. With
   * false the TLS socket sits directly on the TCP socket (about 20% more handshakes per second,
   * bench/registrar.ts) and a bad certificate is refused right after the handshake by closing,
   * without an alert. docs/decisions/015.
   */
  handshakeAlerts?: boolean;
}

interface TlsConnState {
  secured: boolean;
  refused: boolean;
  trust?: Extract<PeerTrustResult, { trusted: true }>;
}

/**
 * The SIP registrar of the emulated CUCM node: TLS on 5061 for Authenticated and Encrypted
 * phones, TCP on 5060 for non-secure ones (TLS-1), a thin shell over a {@link RegistrarPolicy}.
 *
 * Per TLS connection: the identity, cipher policy and CallManager-trust are read from the policy
 * (a cached context per identity/policy version, a cached parse of the trust store), the phone's
 * certificate chain is validated during the handshake with the alert CUCM sends (handshake-tap.ts,
 * peer-trust.ts), and REGISTERs are answered by register.ts. Every accept and refusal is an event.
 */
export class SipRegistrar implements Startable {
  readonly events: EventBus<SipEvent>;
  readonly registrations: RegistrationTable;
  readonly #o: Required<Omit<SipRegistrarOptions, 'events' | 'limits' | 'tcpPort'>> & { tcpPort: number | null; limits: SipLimits };
  readonly #lifecycle = new ServerLifecycle('SipRegistrar');
  readonly #tlsServer: Server;
  readonly #tcpServer: Server | undefined;
  /** One budget per listener, so that a flood on 5060 cannot lock phones out of 5061. */
  readonly #trackers: Record<'tls' | 'tcp', ConnectionTracker>;
  readonly #contexts = new RegistrarContextCache();
  readonly #trust = new TrustAnchorCache();
  readonly #tlsState = new WeakMap<Socket, TlsConnState>();
  readonly #transport = new WeakMap<Socket, 'tls' | 'tcp'>();
  #addresses: { tls?: AddressInfo; tcp?: AddressInfo } = {};
  #detachSignal: () => void = () => undefined;

  constructor(options: SipRegistrarOptions) {
    if (!options?.policy) throw new EmulatorError('INVALID_ARGUMENT', 'SipRegistrar needs a policy');
    this.#o = {
      policy: options.policy,
      host: options.host ?? '127.0.0.1',
      tlsPort: options.tlsPort ?? SIP_TLS_PORT,
      tcpPort: options.tcpPort === undefined ? SIP_TCP_PORT : options.tcpPort,
      clock: options.clock ?? systemClock,
      idleTimeoutMs: options.idleTimeoutMs ?? SIP_IDLE_TIMEOUT_MS,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? SIP_HANDSHAKE_TIMEOUT_MS,
      maxConnections: options.maxConnections ?? SIP_MAX_CONNECTIONS,
      maxPerSource: options.maxPerSource ?? defaultSourceShare(options.maxConnections ?? SIP_MAX_CONNECTIONS),
      firstRequestTimeoutMs: options.firstRequestTimeoutMs ?? SIP_FIRST_REQUEST_TIMEOUT_MS,
      limits: { ...DEFAULT_SIP_LIMITS, ...options.limits },
      tls13: options.tls13 ?? false,
      handshakeAlerts: options.handshakeAlerts ?? true,
    };
    for (const k of ['idleTimeoutMs', 'handshakeTimeoutMs', 'maxConnections', 'maxPerSource', 'firstRequestTimeoutMs'] as const) {
      if (!Number.isInteger(this.#o[k]) || this.#o[k] <= 0) throw new EmulatorError('INVALID_ARGUMENT', `SipRegistrar ${k} must be a positive integer, got ${this.#o[k]}`);
    }
    for (const [k, v] of Object.entries(this.#o.limits)) {
      if (!Number.isInteger(v) || v <= 0) throw new EmulatorError('INVALID_ARGUMENT', `SipRegistrar limits.${k} must be a positive integer, got ${v}`);
    }
    for (const [k, v] of [['tlsPort', this.#o.tlsPort], ['tcpPort', this.#o.tcpPort ?? 0]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new EmulatorError('INVALID_ARGUMENT', `SipRegistrar ${k} ${v} is not 0–65535`);
    }
    this.events = options.events ?? new EventBus<SipEvent>();
    this.registrations = new RegistrationTable(this.#o.clock, (r: Registration) => this.events.emit({ type: 'sip.registration.expired', deviceName: r.deviceName, aor: r.aor }));
    const tracker = (transport: 'tls' | 'tcp'): ConnectionTracker => new ConnectionTracker({
      clock: this.#o.clock, idleTimeoutMs: this.#o.idleTimeoutMs, maxConnections: this.#o.maxConnections,
      maxPerSource: this.#o.maxPerSource, firstMessageTimeoutMs: transport === 'tls' ? this.#o.handshakeTimeoutMs : this.#o.firstRequestTimeoutMs,
      onIdle: (s) => this.#onIdle(s),
      onEvict: (s) => this.events.emit({ type: 'sip.refused', stage: transport === 'tls' ? 'tls' : 'sip', reason: 'evicted', remote: remoteOf(s), transport }),
    });
    this.#trackers = { tls: tracker('tls'), tcp: tracker('tcp') };
    this.#tlsServer = createServer((s) => this.#acceptTls(s));
    this.#tcpServer = this.#o.tcpPort === null ? undefined : createServer((s) => this.#acceptTcp(s));
  }

  get state(): ServerState {
    return this.#lifecycle.state;
  }

  /** Bound addresses while listening. */
  get addresses(): { tls?: AddressInfo; tcp?: AddressInfo } {
    return this.#addresses;
  }

  /** Open connections over both listeners. */
  get connections(): number {
    return this.#trackers.tls.size + this.#trackers.tcp.size;
  }

  get stats(): ConnectionTracker['stats'] {
    const [a, b] = [this.#trackers.tls.stats, this.#trackers.tcp.stats];
    return { accepted: a.accepted + b.accepted, idleClosed: a.idleClosed + b.idleClosed, rejected: a.rejected + b.rejected, evicted: a.evicted + b.evicted, open: a.open + b.open };
  }

  /** Binds 5061 (and 5060); resolves with the TLS listener's address. */
  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    this.#lifecycle.assertCanListen();
    const tls = await listenOn(this.#tlsServer, this.#o.host, this.#o.tlsPort, options.signal);
    let tcp: AddressInfo | undefined;
    try {
      if (this.#tcpServer) tcp = await listenOn(this.#tcpServer, this.#o.host, this.#o.tcpPort!, options.signal);
    } catch (err) {
      await new Promise<void>((resolve) => this.#tlsServer.close(() => resolve()));
      throw err;
    }
    this.#addresses = { tls, ...(tcp ? { tcp } : {}) };
    this.#lifecycle.transition('listening');
    this.#detachSignal = onAbort(options.signal, () => void this.close());
    return tls;
  }

  /** Stops both listeners, destroys live connections and waits for them. Idempotent. */
  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#detachSignal();
      const servers = [this.#tlsServer, this.#tcpServer].filter((s): s is Server => s !== undefined && s.listening);
      const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      await Promise.all([this.#trackers.tls.closeAll(), this.#trackers.tcp.closeAll()]);
      await Promise.all(closed);
      this.registrations.dispose();
    });
  }

  #emitTlsRefusal(remote: string, reason: SipRefusal, extra: { alert?: number; detail?: string } = {}): void {
    this.events.emit({ type: 'sip.refused', stage: 'tls', reason, remote, transport: 'tls', ...extra });
  }

  #onIdle(socket: Socket): void {
    const remote = remoteOf(socket);
    const transport = this.#transport.get(socket) ?? 'tls';
    const st = this.#tlsState.get(socket);
    if (transport === 'tls' && st && !st.secured && !st.refused) {
      st.refused = true;
      this.#emitTlsRefusal(remote, 'handshake timeout', { detail: `no completed handshake within ${this.#o.handshakeTimeoutMs} ms` });
    } else {
      this.events.emit({ type: 'sip.idle', remote, transport });
    }
  }

  #admit(raw: Socket, transport: 'tls' | 'tcp'): boolean {
    if (this.#lifecycle.state !== 'listening' || !this.#trackers[transport].admit(raw)) {
      raw.destroy();
      this.events.emit({ type: 'sip.refused', stage: transport === 'tls' ? 'tls' : 'sip', reason: 'too many connections', remote: remoteOf(raw), transport });
      return false;
    }
    this.#transport.set(raw, transport);
    raw.on('error', () => undefined);
    return true;
  }

  #acceptTcp(raw: Socket): void {
    if (!this.#admit(raw, 'tcp')) return;
    const remote = remoteOf(raw);
    this.#serveSip(raw, raw, { transport: 'tcp', remote });
  }

  #serveSip(stream: Duplex, raw: Socket, conn: ConnectionFacts): void {
    serveSipStream(stream, {
      conn, policy: this.#o.policy, table: this.registrations, clock: this.#o.clock, limits: this.#o.limits,
      emit: (e) => this.events.emit(e),
      onRequest: () => this.#trackers[conn.transport].progress(raw),
    });
  }

  #acceptTls(raw: Socket): void {
    if (!this.#admit(raw, 'tls')) return;
    const remote = remoteOf(raw);
    const state: TlsConnState = { secured: false, refused: false };
    this.#tlsState.set(raw, state);
    // The handshake deadline (the tracker's first-message deadline on 5061) runs from the
    // accept and is not refreshed by handshake bytes.
    const policy = this.#o.policy;
    let context: SecureContext;
    let anchors: TrustAnchors;
    try {
      context = this.#contexts.get(policy.identity(), policy.cipherPolicy(), this.#o.tls13);
      anchors = this.#trust.get([...policy.callManagerTrust(), ...(policy.capfTrust?.() ?? [])]);
    } catch (err) {
      state.refused = true;
      this.#emitTlsRefusal(remote, 'tls error', { detail: `registrar identity or trust unusable: ${(err as Error).message}` });
      raw.destroy();
      return;
    }
    let tls: TLSSocket | undefined;
    const tap = this.#o.handshakeAlerts
      ? new HandshakeTap(raw, (chain) => {
        const verdict = this.#judge(chain, anchors, state, remote, true);
        if (!verdict.accept) setImmediate(() => tls?.destroy());
        return verdict;
      })
      : undefined;
    tls = new TLSSocket(tap ?? raw, { isServer: true, secureContext: context, requestCert: true, rejectUnauthorized: false });
    tls.on('error', (err: NodeJS.ErrnoException) => {
      if (!state.secured && !state.refused) {
        state.refused = true;
        const { reason, alert } = classifyTlsError(err);
        this.#emitTlsRefusal(remote, reason, { detail: `${err.code ?? ''} ${err.message}`.trim(), ...(alert ? { alert } : {}) });
      }
      tls?.destroy();
    });
    tls.on('close', () => {
      if (!raw.destroyed && !tap?.rejected) raw.destroy();
    });
    tls.once('secure', () => this.#secured(tls!, tap, raw, anchors, state, remote));
  }

  /**
   * Accept this client certificate chain, or which alert to send. `inHandshake` says whether the
   * alert really goes out (the tap) or the connection is only closed (after the handshake).
   */
  #judge(chain: Uint8Array[], anchors: TrustAnchors, state: TlsConnState, remote: string, inHandshake: boolean): TapVerdict {
    if (chain.length === 0) {
      state.refused = true;
      // TLS ≤ 1.2 has no certificate_required alert; OpenSSL sends handshake_failure here.
      this.#emitTlsRefusal(remote, 'certificate required', inHandshake ? { alert: TLS_ALERT.handshakeFailure } : { detail: 'checked after the handshake; closed without an alert' });
      return { accept: false, alert: TLS_ALERT.handshakeFailure };
    }
    const result = anchors.validate(chain, this.#o.clock.now());
    if (!result.trusted) {
      state.refused = true;
      const alert = alertFor(result.reason);
      this.#emitTlsRefusal(remote, refusalOf(result.reason), inHandshake ? { alert, detail: result.detail } : { detail: `${result.detail}; checked after the handshake, closed without an alert` });
      return { accept: false, alert };
    }
    state.trust = result;
    return { accept: true };
  }

  #secured(tls: TLSSocket, tap: HandshakeTap | undefined, raw: Socket, anchors: TrustAnchors, state: TlsConnState, remote: string): void {
    if (state.refused) {
      tls.destroy();
      return;
    }
    if (!tap?.sawCertificate) {
      // No tap, TLS 1.3, or a handshake the tap could not read: judge the certificate now, without an alert.
      const chain = peerChain(tls);
      const verdict = this.#judge(chain, anchors, state, remote, false);
      if (!verdict.accept) {
        tls.destroy();
        return;
      }
    }
    const trust = state.trust!;
    // The handshake is over but the phone is not served until its certificates' status is known.
    const chain = trust.path.at(-1) === trust.anchor ? trust.path : [...trust.path, trust.anchor];
    const pending = this.#o.policy.checkRevocation?.(chain);
    if (pending) {
      pending.then((v) => {
        if (tls.destroyed) return;
        if (!v.ok) {
          state.refused = true;
          this.#emitTlsRefusal(remote, v.reason, { detail: `${v.detail}; checked after the handshake, closed without an alert` });
          tls.destroy();
          return;
        }
        this.#serveSecured(tls, raw, state, remote);
      }, (err: Error) => {
        state.refused = true;
        this.#emitTlsRefusal(remote, 'tls error', { detail: `revocation check failed: ${err.message}` });
        tls.destroy();
      });
      return;
    }
    this.#serveSecured(tls, raw, state, remote);
  }

  #serveSecured(tls: TLSSocket, raw: Socket, state: TlsConnState, remote: string): void {
    state.secured = true;
    this.#trackers.tls.touch(raw, this.#o.firstRequestTimeoutMs);
    const trust = state.trust!;
    const cipher = tls.getCipher().name;
    const protocol = tls.getProtocol() ?? 'unknown';
    this.events.emit({ type: 'sip.tls.accepted', remote, cipher, protocol, certificate: summary(trust.leaf, trust.anchor) });
    this.#serveSip(tls, raw, {
      transport: 'tls', remote, cipher, protocol,
      certificate: { cn: commonName(trust.leaf), subject: oneLine(trust.leaf.subject), issuer: oneLine(trust.leaf.issuer), fingerprint256: trust.leaf.fingerprint256 },
    });
  }
}
