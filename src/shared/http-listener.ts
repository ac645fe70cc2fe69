import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from './clock.js';
import { ConnectionTracker } from './connections.js';
import { EmulatorError } from './errors.js';
import { onAbort, ServerLifecycle, type ListenOptions, type ServerState } from './lifecycle.js';

/**
 * The HTTP listener trustlab's small HTTP services share (the 6970 file service, the lab CA's
 * OCSP responder and CRL distribution point): bounded connections (decision 024: the request
 * head within 10 s of the accept, 60 s idle between kept-alive requests, per-source share,
 * eviction of the unproven at the cap), and the lifecycle of conventions.md §8 — `close()`
 * stops accepting, ends idle keep-alive connections and waits for requests in flight;
 * `destroy()` also cuts active connections.
 */
export const HTTP_FIRST_REQUEST_TIMEOUT_MS = 10_000;
export const HTTP_IDLE_TIMEOUT_MS = 60_000;

export interface HttpListenerOptions {
  /** For error messages: `HttpFileService`, `RevocationServer`. */
  name: string;
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  maxConnections: number;
  maxPerSource?: number;
  clock?: Clock;
}

export interface HttpListenOptions extends ListenOptions {
  host?: string;
  port?: number;
}

export class HttpListener {
  readonly #o: HttpListenerOptions;
  readonly #lifecycle: ServerLifecycle;
  readonly #tracker: ConnectionTracker;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #address: AddressInfo | undefined;
  #detachSignal: () => void = () => undefined;

  constructor(o: HttpListenerOptions) {
    if (!Number.isInteger(o.maxConnections) || o.maxConnections < 1) throw new EmulatorError('INVALID_ARGUMENT', `maxConnections must be a positive integer, not ${o.maxConnections}`);
    this.#o = o;
    this.#lifecycle = new ServerLifecycle(o.name);
    this.#tracker = new ConnectionTracker({
      clock: o.clock ?? systemClock, maxConnections: o.maxConnections, idleTimeoutMs: HTTP_IDLE_TIMEOUT_MS, firstMessageTimeoutMs: HTTP_FIRST_REQUEST_TIMEOUT_MS,
      ...(o.maxPerSource ? { maxPerSource: o.maxPerSource } : {}),
    });
  }

  get state(): ServerState {
    return this.#lifecycle.state;
  }

  get address(): AddressInfo | undefined {
    return this.#address;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  get stats(): ConnectionTracker['stats'] {
    return this.#tracker.stats;
  }

  /** Marks a connection as having sent a complete request (its deadline becomes the idle one). */
  progress(socket: Socket): void {
    this.#tracker.progress(socket);
  }

  async listen(options: HttpListenOptions & { host: string; port: number }): Promise<AddressInfo> {
    this.#lifecycle.assertCanListen();
    options.signal?.throwIfAborted();
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => this.#o.handle(req, res));
    server.on('connection', (s: Socket) => {
      if (!this.#tracker.admit(s)) return;
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    const { host, port } = options;
    await new Promise<void>((resolve, reject) => {
      const onError = (cause: NodeJS.ErrnoException): void => {
        reject(new EmulatorError('LISTEN_FAILED', `cannot listen on TCP ${host}:${port}: ${cause.code ?? cause.message}`, { cause, details: { errno: cause.code, address: host, port } }));
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    if (this.#lifecycle.state !== 'idle') {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new EmulatorError('INVALID_STATE', `${this.#o.name}: closed while binding`);
    }
    this.#server = server;
    this.#address = server.address() as AddressInfo;
    this.#lifecycle.transition('listening');
    this.#detachSignal = onAbort(options.signal, () => void this.close());
    return this.#address;
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      this.#detachSignal();
      const server = this.#server;
      if (!server) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      // Sockets still tracked have not emitted 'close' yet; wait so `connections` reads 0.
      await Promise.all([...this.#sockets].map((sock) => new Promise<void>((resolve) => sock.once('close', () => resolve()))));
    });
  }

  destroy(): Promise<void> {
    const closing = this.close();
    this.#server?.closeAllConnections();
    for (const s of this.#sockets) s.destroy();
    return closing;
  }
}

/** The lifecycle face of a service built on an {@link HttpListener}: state, address, close, destroy. */
export abstract class HttpService {
  protected abstract readonly http: HttpListener;

  get state(): ServerState {
    return this.http.state;
  }

  get address(): AddressInfo | undefined {
    return this.http.address;
  }

  /** Open connections (keep-alive included). */
  get connections(): number {
    return this.http.connections;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  destroy(): Promise<void> {
    return this.http.destroy();
  }
}

/** A small plain-text reply (errors and refusals). */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}, head = false): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  if (head) res.end();
  else res.end(body);
}
