import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../shared/clock.js';
import { EmulatorError } from '../shared/errors.js';
import { EventBus } from '../shared/events.js';
import { HttpListener, HttpService, sendText, type HttpListenOptions } from '../shared/http-listener.js';
import type { Startable } from '../shared/lifecycle.js';
import { MAX_OCSP_BYTES } from './ocsp-codec.js';
import { answerOcsp, type OcspSigner, type ServedCa } from './responder.js';

/**
 * The lab CA's revocation endpoints over HTTP, the URIs its certificates carry:
 *
 * | request | answer |
 * | --- | --- |
 * | `POST /ocsp` (`application/ocsp-request`, ≤ 64 KiB) | 200 `application/ocsp-response` (RFC 6960 §A.1) |
 * | `GET /ocsp/<base64 of the DER request, URL-encoded>` | the same |
 * | `GET /crl/<CA name>.crl` | 200 `application/pkix-crl`, the current CRL in DER (RFC 5280) |
 * | a malformed OCSP request | 200 with responseStatus malformedRequest (§2.3) |
 * | a larger body | 413; another path 404; another method 405 |
 *
 * It answers from a {@link RevocationSource} asked on every request, so a `trustlab ca revoke`
 * in another terminal is what the next request sees.
 */
export interface RevocationCa extends ServedCa {
  /** URL-safe name, the CRL's file name. */
  name: string;
  signer: OcspSigner;
  crl(): Promise<Uint8Array>;
}

export interface RevocationSource {
  cas(): Promise<readonly RevocationCa[]>;
}

export type RevocationEvent =
  | { type: 'revocation.listening'; address: AddressInfo }
  | { type: 'revocation.request'; kind: 'ocsp' | 'crl' | 'other'; method: string; path: string; status: number; detail?: string; client: string };

export interface RevocationServerOptions {
  source: RevocationSource;
  clock?: Clock;
  events?: EventBus<RevocationEvent>;
  maxConnections?: number;
}

/** Default port of the lab CA's HTTP endpoints (not a CUCM port: the CA is outside the cluster). */
export const LAB_CA_HTTP_PORT = 8880;

export class RevocationServer extends HttpService implements Startable {
  readonly events: EventBus<RevocationEvent>;
  readonly #source: RevocationSource;
  readonly #clock: Clock;
  protected readonly http: HttpListener;

  constructor(o: RevocationServerOptions) {
    super();
    if (!o?.source) throw new EmulatorError('INVALID_ARGUMENT', 'RevocationServer needs a source');
    this.#source = o.source;
    this.#clock = o.clock ?? systemClock;
    this.events = o.events ?? new EventBus<RevocationEvent>();
    this.http = new HttpListener({ name: 'RevocationServer', handle: (req, res) => void this.#handle(req, res), maxConnections: o.maxConnections ?? 256, clock: this.#clock });
  }

  async listen(o: HttpListenOptions = {}): Promise<AddressInfo> {
    const address = await this.http.listen({ ...o, host: o.host ?? '127.0.0.1', port: o.port ?? LAB_CA_HTTP_PORT });
    this.events.emit({ type: 'revocation.listening', address });
    return address;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.http.progress(req.socket);
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const client = req.socket.remoteAddress ?? '';
    const kind = path === '/ocsp' || path.startsWith('/ocsp/') ? 'ocsp' : path.startsWith('/crl/') ? 'crl' : 'other';
    const done = (status: number, detail?: string): void => {
      this.events.emit({ type: 'revocation.request', kind, method, path: path.slice(0, 200), status, ...(detail ? { detail } : {}), client });
    };
    try {
      if (kind === 'ocsp') return await this.#ocsp(req, res, method, path, done);
      if (kind === 'crl') return await this.#crl(res, method, path, done);
      sendText(res, 404, 'not found: the lab CA serves /ocsp and /crl/<CA>.crl\n');
      return done(404);
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, 'the lab CA could not answer\n');
      done(500, (err as Error).message);
    }
  }

  async #ocsp(req: IncomingMessage, res: ServerResponse, method: string, path: string, done: (s: number, d?: string) => void): Promise<void> {
    let der: Uint8Array;
    if (method === 'POST' && path === '/ocsp') {
      const body = await readBody(req, MAX_OCSP_BYTES);
      if (!body) {
        sendText(res, 413, `an OCSP request is at most ${MAX_OCSP_BYTES} bytes\n`, { Connection: 'close' });
        return done(413, 'too large');
      }
      der = body;
    } else if (method === 'GET' && path.startsWith('/ocsp/')) {
      let b64: string;
      try {
        b64 = decodeURIComponent(path.slice('/ocsp/'.length));
      } catch {
        sendText(res, 400, 'bad percent-encoding\n');
        return done(400, 'bad encoding');
      }
      if (b64.length > (MAX_OCSP_BYTES * 4) / 3 + 4) {
        sendText(res, 414, 'request too long\n');
        return done(414, 'too long');
      }
      der = new Uint8Array(Buffer.from(b64, 'base64'));
    } else {
      sendText(res, 405, `method ${method} not allowed on ${path}\n`, { Allow: path === '/ocsp' ? 'POST' : 'GET' });
      return done(405);
    }
    const cas = await this.#source.cas();
    const answer = answerOcsp(der, { cas, signerFor: (ca) => (ca as RevocationCa).signer, now: new Date(this.#clock.now()) });
    res.writeHead(200, { 'Content-Type': 'application/ocsp-response', 'Content-Length': String(answer.length), 'Cache-Control': 'no-store' });
    res.end(answer);
    done(200);
  }

  async #crl(res: ServerResponse, method: string, path: string, done: (s: number, d?: string) => void): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(res, 405, `method ${method} not allowed\n`, { Allow: 'GET, HEAD' });
      return done(405);
    }
    const name = path.slice('/crl/'.length).replace(/\.crl$/, '');
    const ca = (await this.#source.cas()).find((c) => c.name === name);
    if (!ca) {
      sendText(res, 404, `no CRL named ${name}\n`, {}, method === 'HEAD');
      return done(404, 'no such CA');
    }
    const der = await ca.crl();
    res.writeHead(200, { 'Content-Type': 'application/pkix-crl', 'Content-Length': String(der.length), 'Cache-Control': 'no-store' });
    if (method === 'HEAD') res.end();
    else res.end(der);
    done(200);
  }
}

/** The request body, or undefined once it passes `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? undefined : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
