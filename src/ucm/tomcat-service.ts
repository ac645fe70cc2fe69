import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import { escapeXml } from '../config/index.js';
import { remoteOf } from '../shared/connections.js';
import { TrackedServer } from '../shared/tracked-server.js';

/** Cisco Tomcat's HTTPS port, where phones reach the corporate directory and other XML services. */
export const TOMCAT_HTTPS_PORT = 8443;

/** The path of CUCM's corporate directory (`ccmcip`), the default (secure) directory URL. */
export const DIRECTORY_PATH = '/ccmcip/xmldirectory.jsp';

export type TomcatEvent =
  | { type: 'https.request'; remote: string; method: string; path: string; status: number; bytes: number }
  | { type: 'https.error'; remote: string; code: string; message: string }
  | { type: 'https.refused'; remote: string; reason: string };

export interface TomcatServiceOptions {
  /** The tomcat certificate and key the service presents, read for every connection. */
  identity: () => { certPem: string; keyPem: string };
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 8443; tests pass 0. */
  port?: number;
  /** Real time for the idle and handshake timeouts. Default the system clock. */
  clock?: Clock;
  events?: EventBus<TomcatEvent>;
  /** A connection lives at most this long, handshake included (a phone fetches one page). Default 10 s. */
  idleTimeoutMs?: number;
  /** Simultaneous connections; more are destroyed on accept. Default 1024. */
  maxConnections?: number;
}

/** Request head cap; a longer head is answered 431. */
const MAX_HEADER_BYTES = 8 * 1024;

/**
 * The slice of Cisco Tomcat a phone's XML services reach (phone-behaviour.md TVS-1, SC-23,
 * REG-10): HTTPS on 8443 presenting the node's **tomcat** certificate, serving the corporate
 * directory at `/ccmcip/xmldirectory.jsp` as a Cisco IP Phone XML object (`CiscoIPPhoneInput`,
 * the search form the real `ccmcip` returns). Anything else is 404; methods other than GET and
 * HEAD get 405.
 *
 * The certificate is read from `identity()` for every connection, like the CAPF server, so the
 * next handshake presents what the model holds: the lab does not model the manual "restart Cisco
 * Tomcat" of the chapter's regeneration procedure (docs/decisions/021-phone-https-services.md).
 *
 * Node's HTTPS server does the TLS and HTTP; the identity is checked as each connection is
 * accepted and the server's context replaced when it changed. Garbage, a stalled handshake and an
 * oversized head are bounded by the connection lifetime, the handshake timeout and the parser's
 * own limits.
 */
export class TomcatService extends TrackedServer {
  readonly events: EventBus<TomcatEvent>;
  readonly #identity: TomcatServiceOptions['identity'];
  readonly #server: HttpsServer;
  readonly #secured = new WeakSet<Socket>();
  #loaded: { certPem: string; keyPem: string } | undefined;

  constructor(options: TomcatServiceOptions) {
    super('TomcatService', {
      host: options?.host ?? '127.0.0.1',
      port: options?.port ?? TOMCAT_HTTPS_PORT,
      clock: options?.clock ?? systemClock,
      idleTimeoutMs: options?.idleTimeoutMs ?? 10_000,
      maxConnections: options?.maxConnections ?? 1024,
    });
    if (typeof options?.identity !== 'function') throw new EmulatorError('INVALID_ARGUMENT', 'TomcatService needs an identity() returning the tomcat certificate and key');
    this.#identity = options.identity;
    this.events = options.events ?? new EventBus<TomcatEvent>();
    this.#server = createHttpsServer({ maxHeaderSize: MAX_HEADER_BYTES, handshakeTimeout: this.bind.idleTimeoutMs }, (req, res) => this.#handle(req, res));
    // Runs before tls.Server's own 'connection' listener, which wraps the socket with the
    // context current at that moment: so each connection presents the identity of its accept.
    this.#server.prependListener('connection', (raw: Socket) => this.#accept(raw));
    this.#server.on('secureConnection', (tls: Socket) => this.#secured.add(tls));
    // A failed handshake is reported both as tlsClientError and as clientError; the latter
    // alone is handled. Before the handshake completes the connection is cut; after it the peer
    // gets 400 (431 for an oversized head) and the connection ends.
    this.#server.on('tlsClientError', () => undefined);
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      this.events.emit({ type: 'https.error', remote: remoteOf(socket as Socket), code: err.code ?? 'HTTP_PARSE_ERROR', message: err.message });
      if (!this.#secured.has(socket as Socket) || !(socket as Socket).writable) return void socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      (socket as Socket).end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    this.attach(this.#server);
  }

  protected onIdle(s: Socket): void {
    this.events.emit({ type: 'https.error', remote: remoteOf(s), code: 'IDLE_TIMEOUT', message: `connection open for ${this.bind.idleTimeoutMs} ms` });
  }

  protected override onClose(): void {
    this.#server.closeAllConnections();
  }

  #accept(raw: Socket): void {
    const remote = remoteOf(raw);
    raw.on('error', () => undefined);
    if (!this.admit(raw)) {
      this.events.emit({ type: 'https.refused', remote, reason: 'too many connections' });
      return;
    }
    try {
      const id = this.#identity();
      const l = this.#loaded;
      if (!l || l.certPem !== id.certPem || l.keyPem !== id.keyPem) {
        this.#server.setSecureContext({ cert: id.certPem, key: id.keyPem });
        this.#loaded = { certPem: id.certPem, keyPem: id.keyPem };
      }
    } catch (err) {
      this.events.emit({ type: 'https.error', remote, code: 'PKI_BAD_KEY', message: `tomcat identity unusable: ${(err as Error).message}` });
      raw.destroy();
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const remote = remoteOf(req.socket);
    const path = (req.url ?? '/').split('?')[0]!;
    const reply = (status: number, body: string, headers: Record<string, string> = {}): void => {
      const bytes = Buffer.from(body, 'utf8');
      res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': String(bytes.length), ...headers });
      res.end(req.method === 'HEAD' ? undefined : bytes);
      this.events.emit({ type: 'https.request', remote, method: req.method ?? '?', path, status, bytes: req.method === 'HEAD' ? 0 : bytes.length });
    };
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, '', { Allow: 'GET, HEAD' });
    if (path !== DIRECTORY_PATH) return reply(404, '');
    reply(200, directoryPage(req.headers.host ?? this.bind.host));
  }
}

/** The corporate-directory search form, as `ccmcip/xmldirectory.jsp` returns it to a phone. */
export function directoryPage(host: string): string {
  const action = `https://${host}/ccmcip/xmldirectorylist.jsp`;
  return `<?xml version="1.0" encoding="utf-8"?>
<CiscoIPPhoneInput>
  <Title>Corporate Directory</Title>
  <Prompt>Enter search criteria</Prompt>
  <URL>${escapeXml(action)}</URL>
  <InputItem><DisplayName>First Name</DisplayName><QueryStringParam>f</QueryStringParam><InputFlags>A</InputFlags><DefaultValue></DefaultValue></InputItem>
  <InputItem><DisplayName>Last Name</DisplayName><QueryStringParam>l</QueryStringParam><InputFlags>A</InputFlags><DefaultValue></DefaultValue></InputItem>
  <InputItem><DisplayName>Number</DisplayName><QueryStringParam>n</QueryStringParam><InputFlags>T</InputFlags><DefaultValue></DefaultValue></InputItem>
</CiscoIPPhoneInput>
`;
}
