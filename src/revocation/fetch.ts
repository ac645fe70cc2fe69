import { request } from 'undici';

/**
 * One bounded HTTP exchange for the revocation client (undici@7): a deadline for the whole
 * exchange, a cap on the body read (the read stops and the socket is dropped past it), and every
 * failure as a value. The OCSP and CRL checks turn these into their own result codes.
 */
export type FetchOutcome =
  | { ok: true; status: number; body: Uint8Array; contentType: string }
  | { ok: false; why: 'unreachable' | 'timeout' | 'too-large' | 'aborted'; message: string };

export interface BoundedFetch {
  url: string;
  method: 'GET' | 'POST';
  body?: Uint8Array;
  contentType?: string;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function boundedFetch(f: BoundedFetch): Promise<FetchOutcome> {
  const deadline = AbortSignal.timeout(f.timeoutMs);
  const signal = f.signal ? AbortSignal.any([deadline, f.signal]) : deadline;
  try {
    const res = await request(f.url, {
      method: f.method,
      signal,
      // One connection per exchange: a kept-alive socket the responder has since closed would
      // fail a POST that undici will not retry (checks are minutes apart, not a hot path).
      reset: true,
      headersTimeout: f.timeoutMs,
      bodyTimeout: f.timeoutMs,
      ...(f.body ? { body: Buffer.from(f.body), headers: { 'content-type': f.contentType ?? 'application/octet-stream' } } : {}),
    });
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (declared > f.maxBytes) {
      res.body.destroy();
      return { ok: false, why: 'too-large', message: `${f.url} announced ${declared} bytes (cap ${f.maxBytes})` };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > f.maxBytes) {
        res.body.destroy();
        return { ok: false, why: 'too-large', message: `${f.url} sent more than ${f.maxBytes} bytes` };
      }
      chunks.push(chunk as Buffer);
    }
    const ct = res.headers['content-type'];
    return { ok: true, status: res.statusCode, body: new Uint8Array(Buffer.concat(chunks)), contentType: Array.isArray(ct) ? ct[0] ?? '' : ct ?? '' };
  } catch (err) {
    if (f.signal?.aborted) return { ok: false, why: 'aborted', message: 'aborted' };
    if (deadline.aborted || /timeout/i.test((err as Error).name + (err as Error).message)) return { ok: false, why: 'timeout', message: `${f.url} did not answer within ${f.timeoutMs} ms` };
    const code = (err as NodeJS.ErrnoException).code ?? ((err as { cause?: NodeJS.ErrnoException }).cause?.code);
    return { ok: false, why: 'unreachable', message: `${f.url}: ${code ?? (err as Error).message}` };
  }
}
