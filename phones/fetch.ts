import { request } from 'node:http';
import { tftpGet } from '../tftp-sim/index.js';
import { isEmulatorError } from '../src/shared/errors.js';
import type { Clock } from '../src/shared/clock.js';

/**
 * How a phone downloads a file (phone-behaviour.md BOOT-1, FMT-5, CFG-6): models that speak
 * HTTP on 6970 try it first and fall back to TFTP when the port does not answer; the rest use
 * TFTP. A missing file is "not-found" either way; a server that does not answer is
 * "unreachable" (the reducer then tries the next TFTP server).
 */
export interface FetchOptions {
  server: string;
  name: string;
  http: boolean;
  tftpPort: number;
  httpPort: number;
  localAddress?: string;
  clock: Clock;
  timeoutMs: number;
  /** Aborting ends the download at once (the result is then not read). */
  signal?: AbortSignal;
}

export type FetchResult = { bytes: Uint8Array } | { error: 'not-found' | 'unreachable' | 'error'; detail: string };

function httpGet(o: FetchOptions): Promise<FetchResult | 'fallback'> {
  return new Promise((resolve) => {
    const req = request({ host: o.server, port: o.httpPort, path: `/${encodeURIComponent(o.name)}`, method: 'GET', ...(o.localAddress ? { localAddress: o.localAddress } : {}), ...(o.signal ? { signal: o.signal } : {}), timeout: o.timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 4 * 1024 * 1024) req.destroy(new Error('file too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode === 200) resolve({ bytes: new Uint8Array(Buffer.concat(chunks)) });
        else if (res.statusCode === 404) resolve({ error: 'not-found', detail: `HTTP 404 for ${o.name}` });
        else resolve({ error: 'error', detail: `HTTP ${res.statusCode} for ${o.name}` });
      });
      res.on('error', (e) => resolve({ error: 'error', detail: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'fallback' : { error: 'unreachable', detail: e.message }));
    req.end();
  });
}

export async function fetchFile(o: FetchOptions): Promise<FetchResult> {
  if (o.http) {
    const r = await httpGet(o);
    if (r !== 'fallback') return r;
  }
  try {
    const r = await tftpGet(o.name, { host: o.server, port: o.tftpPort, blockSize: 1428, timeoutMs: Math.min(2000, o.timeoutMs), maxRetries: 3, clock: o.clock, ...(o.localAddress ? { localAddress: o.localAddress } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    return { bytes: r.bytes };
  } catch (e) {
    if (isEmulatorError(e, 'TFTP_NOT_FOUND')) return { error: 'not-found', detail: `TFTP: ${o.name} not found` };
    if (isEmulatorError(e, 'TFTP_TIMEOUT')) return { error: 'unreachable', detail: `TFTP server ${o.server} did not answer` };
    return { error: 'error', detail: (e as Error).message };
  }
}
