import type { AddressInfo, Server, Socket } from 'node:net';
import type { Clock, TimerHandle } from './clock.js';
import { EmulatorError } from './errors.js';
import { onAbort } from './lifecycle.js';

/**
 * Live-connection bookkeeping shared by the registrar and CAPF (conventions.md §8, after
 * libp2p's `TCPListener`): every accepted socket is tracked in a set with an idle timer on the
 * injected clock; `closeAll()` destroys them and waits for their `close` events. Memory per
 * server is bounded by `maxConnections`, and a peer that stops sending (half-open TLS, a
 * half-written message) is dropped after `idleTimeoutMs`.
 */
export class ConnectionTracker {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #max: number;
  readonly #timers = new Map<Socket, TimerHandle>();
  readonly #onIdle: (socket: Socket) => void;
  #accepted = 0;
  #idleClosed = 0;
  #rejected = 0;

  constructor(options: { clock: Clock; idleTimeoutMs: number; maxConnections: number; onIdle?: (socket: Socket) => void }) {
    this.#clock = options.clock;
    this.#idleMs = options.idleTimeoutMs;
    this.#max = options.maxConnections;
    this.#onIdle = options.onIdle ?? (() => undefined);
  }

  /** Connections open now. */
  get size(): number {
    return this.#timers.size;
  }

  /** Counters since the server started: accepted, closed for idleness, refused over the cap. */
  get stats(): { accepted: number; idleClosed: number; rejected: number; open: number } {
    return { accepted: this.#accepted, idleClosed: this.#idleClosed, rejected: this.#rejected, open: this.#timers.size };
  }

  /** Starts tracking `socket`; false (and the socket destroyed) when the cap is reached. */
  admit(socket: Socket): boolean {
    if (this.#timers.size >= this.#max) {
      this.#rejected++;
      socket.destroy();
      return false;
    }
    this.#accepted++;
    this.#timers.set(socket, this.#arm(socket));
    socket.once('close', () => {
      this.#clock.clearTimeout(this.#timers.get(socket));
      this.#timers.delete(socket);
    });
    return true;
  }

  /** Restarts the idle timer (on every chunk received). */
  touch(socket: Socket, timeoutMs = this.#idleMs): void {
    const t = this.#timers.get(socket);
    if (t === undefined) return;
    this.#clock.clearTimeout(t);
    this.#timers.set(socket, this.#arm(socket, timeoutMs));
  }

  #arm(socket: Socket, ms = this.#idleMs): TimerHandle {
    return this.#clock.setTimeout(() => {
      if (!this.#timers.has(socket)) return;
      this.#idleClosed++;
      this.#onIdle(socket);
      socket.destroy();
    }, ms);
  }

  /** Destroys every tracked socket and resolves when all have closed. */
  async closeAll(): Promise<void> {
    const closing = [...this.#timers.keys()].map((s) => new Promise<void>((resolve) => {
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
