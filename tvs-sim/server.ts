import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { systemClock, type Clock } from '../src/shared/clock.js';
import { EmulatorError, isEmulatorError } from '../src/shared/errors.js';
import { EventBus } from '../src/shared/events.js';
import { onAbort, ServerLifecycle, type ListenOptions, type ServerState, type Startable } from '../src/shared/lifecycle.js';
import type { TvsAuthority } from './authority.js';
import { TvsConnection, type ConnectionContext } from './connection.js';
import {
  DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_TTL_SECONDS,
  MAX_TVS_MESSAGE_BYTES, TVS_HEADER_BYTES, TVS_PORT,
} from './constants.js';
import type { TvsEvent } from './events.js';
import { SecureContextCache, type TvsIdentity } from './identity.js';

/** Options of {@link TvsServer}. Every limit has a named default in `constants.ts`. */
export interface TvsServerOptions {
  /** The node's current TVS certificate and key, read for every new connection. */
  identity: () => TvsIdentity;
  /** Who decides status, roles and TTL (the cluster's TVS lookup). */
  authority: TvsAuthority;
  /** Label in events and in the authority's `request.node`, e.g. the CUCM node name. Default `tvs`. */
  name?: string;
  /** Default `0.0.0.0`. Clusters in one lab bind distinct 127.0.0.x addresses. */
  host?: string;
  /** Default 2445; tests use 0 and read the port back from `listen()`. */
  port?: number;
  /** Default: a private bus, readable as `server.events`. */
  events?: EventBus<TvsEvent>;
  /** Default: the system clock. Timeouts run on it. */
  clock?: Clock;
  /** Close a connection with no inbound bytes (or no finished handshake) for this long. Default 10 000. */
  idleTimeoutMs?: number;
  /** Close any connection this old, active or not. Default 30 000. */
  connectionTimeoutMs?: number;
  /** Largest message accepted, 10..65 545 bytes. Default 16 KiB. */
  maxFrameBytes?: number;
  /** Connections served at once; more are dropped on accept. Default 512. */
  maxConnections?: number;
  /** TTL of a valid answer when the authority gives none. Default 86 400 (24 h). */
  defaultTtlSeconds?: number;
  /** Lowest TLS version. Default: Node's (TLSv1.2). `TLSv1` lets 7900-series phones in. */
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher list for TLS ≤ 1.2. Default: Node's. */
  ciphers?: string;
}

/**
 * The Trust Verification Service on TCP 2445 (formats.md §4, phone-behaviour.md TVS-1..TVS-4).
 *
 * A plain `net.Server` that wraps each accepted socket in a server-side `TLSSocket` with the
 * secure context of the identity the model holds *at that moment*, cached per identity: a
 * regenerated TVS certificate is presented from the next connection on, with no restart
 * (issue 5 item 4). Several TVS nodes of a cluster are several servers, each with its own
 * identity.
 *
 * Lifecycle (conventions.md §8): `listen()` resolves with the bound address, `close()` is
 * idempotent and destroys live connections, `{ signal }` aborts a listen or closes the server.
 */
export class TvsServer implements Startable {
  readonly events: EventBus<TvsEvent>;
  readonly name: string;
  readonly #options: TvsServerOptions;
  readonly #lifecycle: ServerLifecycle;
  readonly #contexts: SecureContextCache;
  readonly #ctx: ConnectionContext;
  readonly #connections = new Set<TvsConnection>();
  readonly #maxConnections: number;
  #server: Server | undefined;
  #nextId = 1;
  #detachSignal: () => void = () => undefined;

  constructor(options: TvsServerOptions) {
    if (typeof options?.identity !== 'function') throw new EmulatorError('INVALID_ARGUMENT', 'TvsServer needs an identity() function');
    if (typeof options.authority?.verify !== 'function') throw new EmulatorError('INVALID_ARGUMENT', 'TvsServer needs an authority with verify()');
    const int = (name: string, v: number | undefined, dflt: number, min: number, max: number): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < min || x > max) throw new EmulatorError('INVALID_ARGUMENT', `TvsServer option ${name}=${x} is outside ${min}..${max}`);
      return x;
    };
    int('port', options.port, TVS_PORT, 0, 65535);
    this.#maxConnections = int('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS, 1, 1_000_000);
    this.name = options.name ?? 'tvs';
    this.#options = options;
    this.events = options.events ?? new EventBus<TvsEvent>();
    this.#lifecycle = new ServerLifecycle(`TvsServer(${this.name})`);
    this.#contexts = new SecureContextCache({
      ...(options.minVersion ? { minVersion: options.minVersion } : {}),
      ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
      ...(options.ciphers ? { ciphers: options.ciphers } : {}),
    });
    this.#ctx = {
      node: this.name,
      authority: options.authority,
      events: this.events,
      clock: options.clock ?? systemClock,
      idleTimeoutMs: int('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 1, 2 ** 31 - 1),
      connectionTimeoutMs: int('connectionTimeoutMs', options.connectionTimeoutMs, DEFAULT_CONNECTION_TIMEOUT_MS, 1, 2 ** 31 - 1),
      maxFrameBytes: int('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, TVS_HEADER_BYTES, MAX_TVS_MESSAGE_BYTES),
      defaultTtlSeconds: int('defaultTtlSeconds', options.defaultTtlSeconds, DEFAULT_TTL_SECONDS, 0, 0xffffffff),
    };
  }

  /** idle → listening → closing → closed (shared/lifecycle.ts). */
  get state(): ServerState {
    return this.#lifecycle.state;
  }

  /** Connections open right now (accepted and not yet closed). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Binds and starts accepting. Rejects with `LISTEN_FAILED` (`details.errno`) when the port
   * cannot be bound, or with the signal's reason if aborted first.
   */
  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    this.#lifecycle.assertCanListen();
    options.signal?.throwIfAborted();
    const server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
    this.#server = server;
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      const detach = onAbort(options.signal, () => {
        server.close();
        reject(options.signal!.reason);
      });
      server.once('error', (err: NodeJS.ErrnoException) => {
        detach();
        const where = `${this.#options.host ?? '0.0.0.0'}:${this.#options.port ?? TVS_PORT}`;
        reject(new EmulatorError('LISTEN_FAILED', `TVS ${this.name} cannot listen on ${where}: ${err.message}`, { cause: err, details: { errno: err.code } }));
      });
      server.listen(this.#options.port ?? TVS_PORT, this.#options.host ?? '0.0.0.0', () => {
        detach();
        resolve(server.address() as AddressInfo);
      });
    }).catch((err: unknown) => {
      void this.#lifecycle.close(async () => undefined);
      throw err;
    });
    if (this.#lifecycle.state !== 'idle') {
      // close() ran while binding: do not leave a socket behind a closed server.
      server.close();
      throw new EmulatorError('INVALID_STATE', `TvsServer(${this.name}) was closed while it was binding`);
    }
    this.#lifecycle.transition('listening');
    server.on('error', (err) => this.events.emit({ type: 'tvs.error', node: this.name, error: new EmulatorError('IO_ERROR', err.message, { cause: err }) }));
    this.#detachSignal = onAbort(options.signal, () => void this.close());
    this.events.emit({ type: 'tvs.listening', node: this.name, address });
    return address;
  }

  /** Stops accepting, destroys live connections and resolves when all are gone. Idempotent. */
  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#detachSignal();
      const server = this.#server;
      const stopped = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      const closing = [...this.#connections].map((c) => {
        c.destroy('server-closing');
        return c.closed;
      });
      await Promise.all([stopped, ...closing]);
      this.events.emit({ type: 'tvs.closed', node: this.name });
    });
  }

  #accept(socket: Socket): void {
    const id = this.#nextId++;
    const remote = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0 };
    socket.on('error', () => undefined); // reported through the TLS socket; never crash on a raw reset
    if (this.#lifecycle.state !== 'listening' || this.#connections.size >= this.#maxConnections) {
      socket.destroy();
      this.events.emit({ type: 'tvs.connection.closed', node: this.name, id, reason: this.#lifecycle.state === 'listening' ? 'too-many-connections' : 'server-closing', open: this.#connections.size });
      return;
    }
    let identity;
    try {
      identity = this.#contexts.get(this.#options.identity());
    } catch (err) {
      socket.destroy();
      const error = isEmulatorError(err) ? err : new EmulatorError('PKI_BAD_CERTIFICATE', `TVS identity unavailable: ${(err as Error).message}`, { cause: err });
      this.events.emit({ type: 'tvs.error', node: this.name, id, error });
      this.events.emit({ type: 'tvs.connection.closed', node: this.name, id, reason: 'error', open: this.#connections.size });
      return;
    }
    const connection = new TvsConnection(id, socket, identity, this.#ctx);
    this.#connections.add(connection);
    this.events.emit({ type: 'tvs.connection', node: this.name, id, ...remote, open: this.#connections.size });
    void connection.closed.then((reason) => {
      this.#connections.delete(connection);
      this.events.emit({ type: 'tvs.connection.closed', node: this.name, id, reason, open: this.#connections.size });
    });
  }
}
