import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { checkFileName, type FileProvider } from '../../tftp-sim/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError, isEmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import { onAbort, ServerLifecycle, type ListenOptions, type ServerState, type Startable } from '../shared/lifecycle.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { ConnectionTracker } from '../shared/connections.js';

/**
 * Deadlines per connection (issue 15 §4: 256 idle connections blocked downloads for 22–32 s,
 * because Node checks `headersTimeout` only every 30 s and refuses connections over
 * `maxConnections`). The request head must be complete 10 s after the accept, a kept-alive
 * connection may sit 60 s between requests, and at the cap a newcomer evicts the oldest
 * connection that has not sent a request (decision 024).
 */
export const HTTP_FIRST_REQUEST_TIMEOUT_MS = 10_000;
export const HTTP_IDLE_TIMEOUT_MS = 60_000;

/** The HTTP port on which CUCM's TFTP service also serves its files (phones fetch over HTTP first). */
export const HTTP_FILE_SERVICE_PORT = 6970;

/** One line per request, for the CLI log and the dashboard (conventions.md §12). */
export type HttpFileEvent =
  | { type: 'http.listening'; address: AddressInfo }
  | {
      type: 'http.request';
      client: { address: string; port: number };
      method: string;
      path: string;
      status: number;
      /** Body bytes sent (0 for HEAD and errors). */
      bytes: number;
      /** Why a request was not served: `not-found`, `bad-name`, `access-violation`, `method`, … */
      reason?: string;
      durationMs: number;
    };

/** The file provider (shared with TFTP), and injected bus, clock and logger. */
export interface HttpFileServiceOptions {
  files: FileProvider;
  /** Open connections at most (default 256); see {@link HTTP_FIRST_REQUEST_TIMEOUT_MS}. */
  maxConnections?: number;
  /** Connections one client address may hold (default half of `maxConnections`). */
  maxPerSource?: number;
  events?: EventBus<HttpFileEvent>;
  clock?: Clock;
  logger?: Logger;
}

/** Where `HttpFileService.listen()` binds. */
export interface HttpListenOptions extends ListenOptions {
  /** Default `0.0.0.0`. */
  host?: string;
  /** Default 6970; 0 picks a free port. */
  port?: number;
}

/**
 * CUCM's HTTP file service on port 6970: the same files as TFTP, fetched with `GET /<name>`
 * (RFC 9110). It serves through the same {@link FileProvider} and refuses the same names as
 * the TFTP server (`checkFileName`):
 *
 * | case | status |
 * | --- | --- |
 * | file served | 200, `Content-Length`, body (none for HEAD) |
 * | name refused by `checkFileName` (`..`, absolute, backslash, control char, empty) or a bad `%` escape | 400 |
 * | provider refuses (`FILE_ACCESS_DENIED`: directory, symlink out of root, over the size cap) | 403 |
 * | no such file | 404 |
 * | method other than GET or HEAD | 405 with `Allow: GET, HEAD` |
 * | provider fails otherwise | 500 |
 *
 * The request target's query string is ignored. Lifecycle per conventions.md §8: `close()`
 * stops accepting, ends idle keep-alive connections and waits for requests in flight;
 * `destroy()` also cuts active connections.
 */
export class HttpFileService implements Startable {
  readonly events: EventBus<HttpFileEvent>;
  readonly #files: FileProvider;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #lifecycle = new ServerLifecycle('HttpFileService');
  readonly #tracker: ConnectionTracker;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #address: AddressInfo | undefined;
  #detachSignal: () => void = () => undefined;

  constructor(options: HttpFileServiceOptions) {
    if (!options?.files || typeof options.files.read !== 'function') throw new EmulatorError('INVALID_ARGUMENT', 'HttpFileService needs a files provider with read(name)');
    this.#files = options.files;
    const max = options.maxConnections ?? 256;
    if (!Number.isInteger(max) || max < 1) throw new EmulatorError('INVALID_ARGUMENT', `maxConnections must be a positive integer, not ${max}`);
    this.#clock = options.clock ?? systemClock;
    this.#tracker = new ConnectionTracker({
      clock: this.#clock, maxConnections: max, idleTimeoutMs: HTTP_IDLE_TIMEOUT_MS, firstMessageTimeoutMs: HTTP_FIRST_REQUEST_TIMEOUT_MS,
      ...(options.maxPerSource ? { maxPerSource: options.maxPerSource } : {}),
    });
    this.events = options.events ?? new EventBus<HttpFileEvent>();
    this.#log = (options.logger ?? nullLogger).child('http');
  }

  get state(): ServerState {
    return this.#lifecycle.state;
  }

  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Open connections (keep-alive included). */
  get connections(): number {
    return this.#sockets.size;
  }

  async listen(options: HttpListenOptions = {}): Promise<AddressInfo> {
    this.#lifecycle.assertCanListen();
    options.signal?.throwIfAborted();
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => void this.#handle(req, res));
    server.on('connection', (s: Socket) => {
      if (!this.#tracker.admit(s)) return;
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    const host = options.host ?? '0.0.0.0';
    const port = options.port ?? HTTP_FILE_SERVICE_PORT;
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
      throw new EmulatorError('INVALID_STATE', 'HttpFileService: closed while binding');
    }
    this.#server = server;
    this.#address = server.address() as AddressInfo;
    this.#lifecycle.transition('listening');
    this.#detachSignal = onAbort(options.signal, () => void this.close());
    this.events.emit({ type: 'http.listening', address: this.#address });
    this.#log.log('info', `listening on ${this.#address.address}:${this.#address.port}`);
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

  /** Counters of the connection tracker: accepted, closed at a deadline, refused, evicted. */
  get stats(): ConnectionTracker['stats'] {
    return this.#tracker.stats;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#tracker.progress(req.socket);
    const started = this.#clock.now();
    const method = req.method ?? '';
    const rawPath = (req.url ?? '').split('?', 1)[0] ?? '';
    const client = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
    const done = (status: number, bytes: number, reason?: string): void => {
      this.events.emit({ type: 'http.request', client, method, path: rawPath, status, bytes, ...(reason ? { reason } : {}), durationMs: this.#clock.now() - started });
    };
    if (this.#lifecycle.state !== 'listening') res.setHeader('Connection', 'close');
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, `method ${method} not allowed\n`, { Allow: 'GET, HEAD' }, method);
      return done(405, 0, 'method');
    }
    let requested: string;
    try {
      requested = decodeURIComponent(rawPath.startsWith('/') ? rawPath.slice(1) : rawPath);
    } catch {
      send(res, 400, 'bad percent-encoding in the path\n', {}, method);
      return done(400, 0, 'bad-name');
    }
    const name = checkFileName(requested);
    if (!name.ok) {
      send(res, 400, `${name.message}\n`, {}, method);
      return done(400, 0, 'bad-name');
    }
    let body: Uint8Array | undefined;
    try {
      body = await this.#files.read(name.name, { protocol: 'http', client });
    } catch (err) {
      if (isEmulatorError(err, 'FILE_ACCESS_DENIED')) {
        send(res, 403, 'access violation\n', {}, method);
        return done(403, 0, 'access-violation');
      }
      this.#log.log('error', `reading ${name.name}: ${(err as Error).message}`);
      send(res, 500, 'the server could not read the file\n', {}, method);
      return done(500, 0, 'read-failed');
    }
    if (body === undefined) {
      send(res, 404, 'file not found\n', {}, method);
      return done(404, 0, 'not-found');
    }
    res.writeHead(200, { 'Content-Type': contentType(name.name), 'Content-Length': String(body.length), 'Cache-Control': 'no-store' });
    if (method === 'HEAD') res.end();
    else res.end(body);
    done(200, method === 'HEAD' ? 0 : body.length);
  }
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string>, method: string): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  if (method === 'HEAD') res.end();
  else res.end(body);
}

/** XML configs as `text/xml` (what CUCM sends for `.cnf.xml`); everything else as bytes. */
function contentType(name: string): string {
  return name.endsWith('.xml') ? 'text/xml' : 'application/octet-stream';
}
