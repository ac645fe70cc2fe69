import type { AddressInfo, Server, Socket } from 'node:net';
import type { Clock, TimerHandle } from './clock.js';
import { EmulatorError } from './errors.js';
import { onAbort } from './lifecycle.js';

/**
 * Live-connection bookkeeping shared by the registrar, CAPF and Tomcat (conventions.md §8, after
 * libp2p's `TCPListener`): every accepted socket is tracked with a deadline on the injected
 * clock; `closeAll()` destroys them and waits for their `close` events.
 *
 * Bounded against cheap lockouts (issue 15 §2: 4,100 idle TCP connections that never sent a
 * byte locked trusted phones out of 5061 for 300 s):
 * - a connection must complete its first message within `firstMessageTimeoutMs` of the accept,
 *   and then a message every `idleTimeoutMs`; bytes that do not complete a message (a trickle)
 *   extend neither deadline. The server calls {@link ConnectionTracker.progress} per message;
 * - one source address holds at most `maxPerSource` connections;
 * - at `maxConnections`, a new connection evicts the oldest one that has not completed a message
 *   yet; only when every connection has proved itself is the new one refused.
 */
export interface ConnectionTrackerOptions {
  clock: Clock;
  idleTimeoutMs: number;
  maxConnections: number;
  /** Default: {@link defaultSourceShare} of `maxConnections`. */
  maxPerSource?: number;
  /** Default: `idleTimeoutMs`. */
  firstMessageTimeoutMs?: number;
  onIdle?: (socket: Socket) => void;
  /** Called for a connection closed to make room for a newer one. */
  onEvict?: (socket: Socket) => void;
}

/** Connections one source address may hold by default: half the budget, at least one. */
export function defaultSourceShare(maxConnections: number): number {
  return Math.max(1, Math.floor(maxConnections / 2));
}

interface Tracked {
  timer: TimerHandle;
  source: string;
}

export class ConnectionTracker {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #firstMs: number;
  readonly #max: number;
  readonly #perSource: number;
  readonly #open = new Map<Socket, Tracked>();
  /**
   * Connections that have not completed a message, in accept order: the first is the one to
   * evict, found without walking the proven ones (a registrar may hold tens of thousands).
   */
  readonly #unproven = new Set<Socket>();
  readonly #bySource = new Map<string, number>();
  readonly #onIdle: (socket: Socket) => void;
  readonly #onEvict: (socket: Socket) => void;
  #accepted = 0;
  #idleClosed = 0;
  #rejected = 0;
  #evicted = 0;

  constructor(options: ConnectionTrackerOptions) {
    this.#clock = options.clock;
    this.#idleMs = options.idleTimeoutMs;
    this.#firstMs = options.firstMessageTimeoutMs ?? options.idleTimeoutMs;
    this.#max = options.maxConnections;
    this.#perSource = options.maxPerSource ?? defaultSourceShare(options.maxConnections);
    this.#onIdle = options.onIdle ?? (() => undefined);
    this.#onEvict = options.onEvict ?? (() => undefined);
  }

  /** Connections open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Counters since the server started: accepted, closed at a deadline, refused, evicted for a newer one. */
  get stats(): { accepted: number; idleClosed: number; rejected: number; evicted: number; open: number } {
    return { accepted: this.#accepted, idleClosed: this.#idleClosed, rejected: this.#rejected, evicted: this.#evicted, open: this.#open.size };
  }

  /**
   * Starts tracking `socket`, with the first-message deadline running. False (and the socket
   * destroyed) when its source is at its share, or every connection has proved itself.
   */
  admit(socket: Socket): boolean {
    const source = socket.remoteAddress ?? '?';
    if ((this.#bySource.get(source) ?? 0) >= this.#perSource) return this.#reject(socket);
    if (this.#open.size >= this.#max && !this.#evictOne()) return this.#reject(socket);
    this.#accepted++;
    this.#open.set(socket, { timer: this.#arm(socket, this.#firstMs), source });
    this.#unproven.add(socket);
    this.#bySource.set(source, (this.#bySource.get(source) ?? 0) + 1);
    socket.once('close', () => this.#forget(socket));
    return true;
  }

  /** A complete message arrived: the connection has proved itself, and its idle deadline restarts. */
  progress(socket: Socket): void {
    const t = this.#open.get(socket);
    if (!t) return;
    this.#unproven.delete(socket);
    this.#clock.clearTimeout(t.timer);
    t.timer = this.#arm(socket, this.#idleMs);
  }

  /** Sets the connection's deadline to `timeoutMs` from now (a handshake deadline), without proving it. */
  touch(socket: Socket, timeoutMs = this.#idleMs): void {
    const t = this.#open.get(socket);
    if (!t) return;
    this.#clock.clearTimeout(t.timer);
    t.timer = this.#arm(socket, timeoutMs);
  }

  #reject(socket: Socket): false {
    this.#rejected++;
    socket.destroy();
    return false;
  }

  #evictOne(): boolean {
    const oldest = this.#unproven.values().next();
    if (oldest.done) return false;
    const socket = oldest.value;
    this.#evicted++;
    this.#forget(socket);
    this.#onEvict(socket);
    socket.destroy();
    return true;
  }

  #forget(socket: Socket): void {
    const t = this.#open.get(socket);
    if (!t) return;
    this.#clock.clearTimeout(t.timer);
    this.#open.delete(socket);
    this.#unproven.delete(socket);
    const n = (this.#bySource.get(t.source) ?? 1) - 1;
    if (n > 0) this.#bySource.set(t.source, n);
    else this.#bySource.delete(t.source);
  }

  #arm(socket: Socket, ms: number): TimerHandle {
    return this.#clock.setTimeout(() => {
      if (!this.#open.has(socket)) return;
      this.#idleClosed++;
      this.#onIdle(socket);
      socket.destroy();
    }, ms);
  }

  /** Destroys every tracked socket and resolves when all have closed. */
  async closeAll(): Promise<void> {
    const closing = [...this.#open.keys()].map((s) => new Promise<void>((resolve) => {
      if (s.destroyed && s.closed) return resolve();
      s.once('close', () => resolve());
      s.destroy();
    }));
    await Promise.all(closing);
  }
}

/**
 * Binds `server`, resolving with the address. A bind failure rejects with `LISTEN_FAILED`
 * (`details.errno`); an aborted `signal` rejects with the abort reason and unbinds.
 */
export function listenOn(server: Server, host: string, port: number, signal: AbortSignal | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const onError = (err: NodeJS.ErrnoException): void => {
      detach();
      reject(new EmulatorError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err, details: { errno: err.code } }));
    };
    const detach = onAbort(signal, () => {
      server.off('error', onError);
      server.close();
      reject(signal?.reason ?? new Error('aborted'));
    });
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      detach();
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `host:port` of a socket's peer, for events. */
export function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
