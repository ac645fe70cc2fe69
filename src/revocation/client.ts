import { randomBytes } from 'node:crypto';
import type { CertificateInfo } from '../pki/index.js';
import { boundedFetch } from './fetch.js';
import { judgeOcspResponse, type OcspResult } from './judge.js';
import { certIdFor, encodeOcspRequest, MAX_OCSP_BYTES } from './ocsp-codec.js';

/**
 * The cluster's OCSP client (RFC 6960 over HTTP POST, §A.1; undici@7). It asks about one
 * certificate and judges the answer ({@link judgeOcspResponse}: DTM, then TRP). A responder that
 * cannot be reached is a result of its own (`OCSP_UNREACHABLE`, `OCSP_TIMEOUT`), which callers
 * treat as the chapter says: it is not "good".
 */
export interface OcspCheck {
  certificate: CertificateInfo;
  issuer: CertificateInfo;
  /** Responder URL: from the certificate's AIA, or the configured OCSP URI. */
  url: string | undefined;
  trustedResponders: readonly CertificateInfo[];
  now: Date;
  /** Default 5 s per exchange. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Send a nonce (RFC 8954). Default true. */
  nonce?: boolean;
}

export const OCSP_TIMEOUT_MS = 5_000;

export async function checkOcsp(c: OcspCheck): Promise<OcspResult> {
  if (!c.url) return { status: 'error', code: 'OCSP_NO_URI', message: `${c.certificate.subjectCucm} has no OCSP URI in its AIA and none is configured` };
  const certId = certIdFor(c.certificate.serial, c.issuer);
  const nonce = c.nonce === false ? undefined : new Uint8Array(randomBytes(16));
  const body = encodeOcspRequest({ certIds: [certId], ...(nonce ? { nonce } : {}) });
  const got = await boundedFetch({
    url: c.url, method: 'POST', body, contentType: 'application/ocsp-request', maxBytes: MAX_OCSP_BYTES,
    timeoutMs: c.timeoutMs ?? OCSP_TIMEOUT_MS, ...(c.signal ? { signal: c.signal } : {}),
  });
  if (!got.ok) {
    const code = got.why === 'too-large' ? 'OCSP_TOO_LARGE' : got.why === 'timeout' ? 'OCSP_TIMEOUT' : 'OCSP_UNREACHABLE';
    return { status: 'error', code, message: got.message };
  }
  if (got.status !== 200) return { status: 'error', code: 'OCSP_HTTP_STATUS', message: `${c.url} answered HTTP ${got.status}` };
  return judgeOcspResponse(got.body, { certId, issuer: c.issuer, trustedResponders: c.trustedResponders, now: c.now, ...(nonce ? { nonce } : {}) });
}
