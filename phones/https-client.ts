import { connect, type SecureVersion, type TLSSocket } from 'node:tls';
import type { Clock } from '../src/shared/clock.js';
import { onAbort } from '../src/shared/lifecycle.js';

/**
 * How a phone opens an HTTPS XML service such as the corporate directory (phone-behaviour.md
 * TVS-1, SC-23). The phone cannot check a Tomcat certificate against a CA of its own: it has
 * only its CTL/ITL and TVS. So the shell works in two steps, with the trust decision between
 * them in the reducer:
 *
 * 1. {@link probeServer}: a TLS handshake that takes whatever certificate the server presents and
 *    hangs up, so the reducer can look it up (trust lists, TVS cache, TVS);
 * 2. {@link fetchPage}: a new connection that sends the request only if the server presents
 *    exactly the certificate that was decided on (pinned), and reads the page.
 */
export interface HttpsTarget {
  url: string;
  localAddress?: string;
  clock: Clock;
  timeoutMs: number;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** Aborting closes the connection; the visit was cancelled, so its outcome is not read. */
  signal?: AbortSignal;
}

export type ProbeResult = { ok: true; certificate: Uint8Array } | { ok: false; error: string };
export type PageResult = { ok: true; status: number; title?: string; bytes: number } | { ok: false; error: string; status?: number };

/** A larger response is refused: phone XML objects are a few kilobytes. */
const MAX_PAGE_BYTES = 64 * 1024;

/** Connects and runs `onSecure` after the handshake; resolves with an error text, or undefined once `done()` is called without one. */
function open(t: HttpsTarget, onSecure: (socket: TLSSocket, done: (error?: string) => void) => void): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch {
    return Promise.resolve(`not a URL: ${t.url}`);
  }
  if (url.protocol !== 'https:') return Promise.resolve(`not an https URL: ${t.url}`);
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({
      host: url.hostname, port: Number(url.port || 443), rejectUnauthorized: false,
      minVersion: t.minVersion, maxVersion: t.maxVersion, ...(t.localAddress ? { localAddress: t.localAddress } : {}),
    });
    const timer = t.clock.setTimeout(() => finish(`no answer from ${url.host} within ${t.timeoutMs} ms`), t.timeoutMs);
    function finish(error?: string): void {
      if (settled) return;
      settled = true;
      t.clock.clearTimeout(timer);
      socket.destroy();
      resolve(error);
    }
    const detach = onAbort(t.signal, () => finish('cancelled'));
    socket.once('close', detach);
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? `connection to ${url.host} refused` : e.message));
    socket.once('secureConnect', () => onSecure(socket, finish));
    socket.once('close', () => finish(`${url.host} closed the connection`));
  });
}

/** Handshakes with the server and returns the certificate it presents (DER), without trusting it. */
export async function probeServer(t: HttpsTarget): Promise<ProbeResult> {
  let certificate: Uint8Array | undefined;
  const error = await open(t, (socket, done) => {
    const raw = socket.getPeerCertificate().raw;
    if (raw) certificate = new Uint8Array(raw);
    done(raw ? undefined : 'the server presented no certificate');
  });
  return certificate ? { ok: true, certificate } : { ok: false, error: error ?? 'handshake failed' };
}

/**
 * GETs the page over a connection whose server certificate must equal `pinned` (the one the
 * phone decided to trust); the title is the XML object's `<Title>`.
 */
export async function fetchPage(t: HttpsTarget & { pinned: Uint8Array }): Promise<PageResult> {
  const url = new URL(t.url);
  let page: PageResult | undefined;
  const error = await open(t, (socket, done) => {
    const raw = socket.getPeerCertificate().raw;
    if (!raw || !Buffer.from(raw).equals(Buffer.from(t.pinned))) return done('the server now presents a different certificate');
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_PAGE_BYTES + 4096) return done(`page larger than ${MAX_PAGE_BYTES} bytes`);
      chunks.push(c);
    });
    socket.once('end', () => {
      page = parseResponse(Buffer.concat(chunks));
      done();
    });
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: Allegro-Software-WebClient/4.34\r\nConnection: close\r\n\r\n`);
  });
  return page ?? { ok: false, error: error ?? 'no response' };
}

function parseResponse(b: Buffer): PageResult {
  const head = b.indexOf('\r\n\r\n');
  if (head < 0) return { ok: false, error: 'malformed HTTP response' };
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(b.subarray(0, head).toString('latin1'));
  if (!m) return { ok: false, error: 'malformed HTTP status line' };
  const status = Number(m[1]);
  const body = b.subarray(head + 4).toString('utf8');
  if (status !== 200) return { ok: false, status, error: `HTTP ${status}` };
  const title = /<Title>([^<]{0,200})<\/Title>/.exec(body)?.[1];
  return { ok: true, status, bytes: b.length - head - 4, ...(title ? { title } : {}) };
}
