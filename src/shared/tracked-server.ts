import type { AddressInfo, Server, Socket } from 'node:net';
import type { Clock } from './clock.js';
import { EmulatorError } from './errors.js';
import { onAbort, ServerLifecycle, type ListenOptions, type ServerState, type Startable } from './lifecycle.js';
import { ConnectionTracker, listenOn } from './connections.js';

/** Where a {@link TrackedServer} binds and how it bounds its connections. */
export interface TrackedServerOptions {
  host: string;
  port: number;
  clock: Clock;
  idleTimeoutMs: number;
  maxConnections: number;
  /** Connections one source address may hold. Default half of `maxConnections`. */
  maxPerSource?: number;
}

/**
 * The lifecycle shared by the TLS services that accept on a `net.Server` and bound every
 * connection with a {@link ConnectionTracker} (CAPF on 3804, Tomcat on 8443): conventions.md §8
 * `listen()` resolving with the address, an idempotent `close()` that destroys open connections
 * and waits for them, `{ signal }`. A subclass calls `attach()` with its server once its own
 * fields are set, and says what an idle connection reports.
 */
export abstract class TrackedServer implements Startable {
  protected readonly lifecycle: ServerLifecycle;
  protected readonly tracker: ConnectionTracker;
  protected readonly bind: TrackedServerOptions;
  #server: Server | undefined;
  #address: AddressInfo | undefined;
  #detachSignal: () => void = () => undefined;

  constructor(name: string, bind: TrackedServerOptions) {
    for (const k of ['idleTimeoutMs', 'maxConnections'] as const) {
      if (!Number.isInteger(bind[k]) || bind[k] <= 0) throw new EmulatorError('INVALID_ARGUMENT', `${name} ${k} must be a positive integer, got ${bind[k]}`);
    }
    if (!Number.isInteger(bind.port) || bind.port < 0 || bind.port > 65535) throw new EmulatorError('INVALID_ARGUMENT', `${name} port ${bind.port} is not 0–65535`);
    this.bind = bind;
    this.lifecycle = new ServerLifecycle(name);
    this.tracker = new ConnectionTracker({ clock: bind.clock, idleTimeoutMs: bind.idleTimeoutMs, maxConnections: bind.maxConnections, ...(bind.maxPerSource ? { maxPerSource: bind.maxPerSource } : {}), onIdle: (s) => this.onIdle(s) });
  }

  /** Reports a connection closed for idleness (the tracker destroys it). */
  protected abstract onIdle(socket: Socket): void;

  /** Runs while closing, before open connections are destroyed. */
  protected onClose(): void {}

  protected attach(server: Server): void {
    this.#server = server;
  }

  get state(): ServerState {
    return this.lifecycle.state;
  }

  /** The bound address while listening. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Open connections now (tests assert on this, not on timing). */
  get connections(): number {
    return this.tracker.size;
  }

  get stats(): ConnectionTracker['stats'] {
    return this.tracker.stats;
  }

  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    this.lifecycle.assertCanListen();
    if (!this.#server) throw new EmulatorError('INVALID_STATE', `${this.lifecycle.name}: no server attached`);
    this.#address = await listenOn(this.#server, this.bind.host, this.bind.port, options.signal);
    this.lifecycle.transition('listening');
    this.#detachSignal = onAbort(options.signal, () => void this.close());
    return this.#address;
  }

  /** Stops accepting, destroys open connections and resolves when every socket has closed. Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      this.#detachSignal();
      const server = this.#server!;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      this.onClose();
      await this.tracker.closeAll();
      await closed;
    });
  }

  /** Starts tracking a new connection; false (and the socket destroyed) when not listening or over the cap. */
  protected admit(raw: Socket): boolean {
    if (this.lifecycle.state === 'listening' && this.tracker.admit(raw)) return true;
    raw.destroy();
    return false;
  }
}
