import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkFileName, type FileProvider } from '../../tftp-sim/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError, isEmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import type { Startable } from '../shared/lifecycle.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { HttpListener, HttpService, sendText, type HttpListenOptions } from '../shared/http-listener.js';

/**
 * Deadlines per connection (issue 15 §4: 256 idle connections blocked downloads for 22–32 s,
 * because Node checks `headersTimeout` only every 30 s and refuses connections over
 * `maxConnections`): see {@link HttpListener}.
 */
export { HTTP_FIRST_REQUEST_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS } from '../shared/http-listener.js';

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

/** Where `HttpFileService.listen()` binds: host default `0.0.0.0`, port default 6970 (0 picks a free port). */
export type { HttpListenOptions } from '../shared/http-listener.js';

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
export class HttpFileService extends HttpService implements Startable {
  readonly events: EventBus<HttpFileEvent>;
  readonly #files: FileProvider;
  readonly #clock: Clock;
  readonly #log: Logger;
  protected readonly http: HttpListener;

  constructor(options: HttpFileServiceOptions) {
    super();
    if (!options?.files || typeof options.files.read !== 'function') throw new EmulatorError('INVALID_ARGUMENT', 'HttpFileService needs a files provider with read(name)');
    this.#files = options.files;
    this.#clock = options.clock ?? systemClock;
    this.http = new HttpListener({
      name: 'HttpFileService', handle: (req, res) => void this.#handle(req, res), maxConnections: options.maxConnections ?? 256, clock: this.#clock,
      ...(options.maxPerSource ? { maxPerSource: options.maxPerSource } : {}),
    });
    this.events = options.events ?? new EventBus<HttpFileEvent>();
    this.#log = (options.logger ?? nullLogger).child('http');
  }

  async listen(options: HttpListenOptions = {}): Promise<AddressInfo> {
    const address = await this.http.listen({ ...options, host: options.host ?? '0.0.0.0', port: options.port ?? HTTP_FILE_SERVICE_PORT });
    this.events.emit({ type: 'http.listening', address });
    this.#log.log('info', `listening on ${address.address}:${address.port}`);
    return address;
  }

  /** Counters of the connection tracker: accepted, closed at a deadline, refused, evicted. */
  get stats(): HttpListener['stats'] {
    return this.http.stats;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.http.progress(req.socket);
    const started = this.#clock.now();
    const method = req.method ?? '';
    const rawPath = (req.url ?? '').split('?', 1)[0] ?? '';
    const client = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 };
    const done = (status: number, bytes: number, reason?: string): void => {
      this.events.emit({ type: 'http.request', client, method, path: rawPath, status, bytes, ...(reason ? { reason } : {}), durationMs: this.#clock.now() - started });
    };
    if (this.http.state !== 'listening') res.setHeader('Connection', 'close');
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
  sendText(res, status, text, headers, method === 'HEAD');
}

/** XML configs as `text/xml` (what CUCM sends for `.cnf.xml`); everything else as bytes. */
function contentType(name: string): string {
  return name.endsWith('.xml') ? 'text/xml' : 'application/octet-stream';
}
