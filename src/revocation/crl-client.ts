import type { CertificateInfo } from '../pki/index.js';
import { isEmulatorError } from '../shared/errors.js';
import { decodeCrl, MAX_CRL_BYTES } from './crl.js';
import { boundedFetch } from './fetch.js';
import { normalSerial } from './registry.js';
import { subjectNameDer } from './ocsp-codec.js';
import type { CrlReasonName } from './reasons.js';

/**
 * "Enable CRL": download the CRL from the configured CRL Distribution Point URI and look the
 * certificate up in it (ucm-certificates.txt). The CRL must be signed by the certificate's
 * issuer and current (RFC 5280 §6.3.3: thisUpdate not in the future, nextUpdate not passed).
 * `crlNumber` and the entry count let the caller notice a changed CRL (the CRLChanged alarm).
 */
export type CrlFailureCode = 'CRL_UNREACHABLE' | 'CRL_TIMEOUT' | 'CRL_HTTP_STATUS' | 'CRL_TOO_LARGE' | 'CRL_MALFORMED' | 'CRL_BAD_SIGNATURE' | 'CRL_STALE';

export type CrlResult =
  | { status: 'good' | 'revoked'; crlNumber?: number; entries: number; thisUpdate: Date; revokedAt?: Date; reason?: CrlReasonName }
  | { status: 'error'; code: CrlFailureCode; message: string }
  /** The CRL is another issuer's: it says nothing about this certificate. */
  | { status: 'not-applicable'; issuer: string };

export interface CrlCheck {
  certificate: CertificateInfo;
  issuer: CertificateInfo;
  url: string;
  now: Date;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function checkCrl(c: CrlCheck): Promise<CrlResult> {
  const got = await boundedFetch({ url: c.url, method: 'GET', maxBytes: MAX_CRL_BYTES, timeoutMs: c.timeoutMs ?? 10_000, ...(c.signal ? { signal: c.signal } : {}) });
  if (!got.ok) {
    const code = got.why === 'too-large' ? 'CRL_TOO_LARGE' : got.why === 'timeout' ? 'CRL_TIMEOUT' : 'CRL_UNREACHABLE';
    return { status: 'error', code, message: got.message };
  }
  if (got.status !== 200) return { status: 'error', code: 'CRL_HTTP_STATUS', message: `${c.url} answered HTTP ${got.status}` };
  let crl;
  try {
    crl = await decodeCrl(got.body);
  } catch (err) {
    if (isEmulatorError(err)) return { status: 'error', code: err.code === 'CRL_TOO_LARGE' ? 'CRL_TOO_LARGE' : 'CRL_MALFORMED', message: err.message };
    throw err;
  }
  if (!Buffer.from(crl.issuerNameDer).equals(Buffer.from(subjectNameDer(c.issuer)))) return { status: 'not-applicable', issuer: crl.issuer };
  if (!(await crl.verify(c.issuer))) return { status: 'error', code: 'CRL_BAD_SIGNATURE', message: `the CRL at ${c.url} is not signed by ${c.issuer.subjectCucm}` };
  const now = c.now.getTime();
  if (crl.thisUpdate.getTime() > now + 5 * 60_000 || (crl.nextUpdate && crl.nextUpdate.getTime() < now - 5 * 60_000)) {
    return { status: 'error', code: 'CRL_STALE', message: `the CRL at ${c.url} is not current (thisUpdate ${crl.thisUpdate.toISOString()}, nextUpdate ${crl.nextUpdate?.toISOString() ?? 'none'})` };
  }
  const base = { entries: crl.entries.length, thisUpdate: crl.thisUpdate, ...(crl.crlNumber !== undefined ? { crlNumber: crl.crlNumber } : {}) };
  const hit = crl.entries.find((e) => e.serial === normalSerial(c.certificate.serialHex));
  return hit ? { status: 'revoked', ...base, revokedAt: hit.revokedAt, ...(hit.reason ? { reason: hit.reason } : {}) } : { status: 'good', ...base };
}
