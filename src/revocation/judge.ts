import { createHash, verify, type KeyObject } from 'node:crypto';
import { isEmulatorError } from '../shared/errors.js';
import { isIssuedBy, parseCertificate, type CertificateInfo } from '../pki/index.js';
import { decodeOcspResponse, OID, sameCertId, subjectNameDer, type CertIdFields, type OcspResponseFields } from './ocsp-codec.js';
import type { CrlReasonName } from './reasons.js';

/**
 * Whether to believe an OCSP response, as the chapter's "Validation Checks" order it
 * (ucm-certificates.txt, Certificate Revocation Configuration):
 *
 * 1. **Delegated Trust Model (DTM)**: the response is signed by the CA that issued the
 *    certificate, or by a responder certificate that CA issued with id-kp-OCSPSigning
 *    (RFC 6960 §4.2.2.2), carried in the response and valid now.
 * 2. **Trust Responder Model (TRP)**, if DTM fails: the response is signed by a designated
 *    responder certificate the administrator uploaded to tomcat-trust.
 *
 * Before any of that: the response must be `successful`, answer the CertID that was asked, echo
 * the nonce when one was sent and the responder returned one, and be current (thisUpdate not in
 * the future, nextUpdate not in the past, RFC 6960 §3.2 items 4–6). Every way to fail is a result
 * with a stable `code`, never a false "good".
 */
export type OcspFailureCode =
  | 'OCSP_UNREACHABLE'
  | 'OCSP_TIMEOUT'
  | 'OCSP_HTTP_STATUS'
  | 'OCSP_MALFORMED'
  | 'OCSP_TOO_LARGE'
  | 'OCSP_RESPONDER_STATUS'
  | 'OCSP_NO_MATCHING_RESPONSE'
  | 'OCSP_NONCE_MISMATCH'
  | 'OCSP_STALE'
  | 'OCSP_UNTRUSTED_RESPONDER'
  | 'OCSP_NO_URI';

export type TrustModel = 'DTM' | 'TRP';

export type OcspResult =
  | { status: 'good'; model: TrustModel; responder: string; thisUpdate: Date; nextUpdate?: Date }
  | { status: 'revoked'; model: TrustModel; responder: string; thisUpdate: Date; nextUpdate?: Date; revokedAt: Date; reason?: CrlReasonName }
  | { status: 'unknown'; model: TrustModel; responder: string; thisUpdate: Date; nextUpdate?: Date }
  | { status: 'error'; code: OcspFailureCode; message: string };

export interface JudgeOptions {
  certId: CertIdFields;
  issuer: CertificateInfo;
  /** Designated responder certificates (tomcat-trust) for TRP. */
  trustedResponders: readonly CertificateInfo[];
  now: Date;
  nonce?: Uint8Array;
  /** Allowed clock skew either way. Default 5 minutes. */
  skewMs?: number;
  /** Without nextUpdate, the oldest thisUpdate accepted. Default 7 days. */
  maxAgeMs?: number;
}

const fail = (code: OcspFailureCode, message: string): OcspResult => ({ status: 'error', code, message });

const HASH_OF: Record<string, { hash: string; ec: boolean }> = {
  [OID.sha1WithRsa]: { hash: 'sha1', ec: false },
  [OID.sha256WithRsa]: { hash: 'sha256', ec: false },
  [OID.sha384WithRsa]: { hash: 'sha384', ec: false },
  [OID.sha512WithRsa]: { hash: 'sha512', ec: false },
  [OID.ecdsaSha256]: { hash: 'sha256', ec: true },
  [OID.ecdsaSha384]: { hash: 'sha384', ec: true },
};

export function judgeOcspResponse(der: Uint8Array, o: JudgeOptions): OcspResult {
  let r: OcspResponseFields;
  try {
    r = decodeOcspResponse(der);
  } catch (err) {
    if (isEmulatorError(err, 'OCSP_TOO_LARGE')) return fail('OCSP_TOO_LARGE', err.message);
    if (isEmulatorError(err)) return fail('OCSP_MALFORMED', err.message);
    throw err;
  }
  if (r.status !== 'successful' || !r.basic) return fail('OCSP_RESPONDER_STATUS', `the responder answered ${r.status}`);
  const b = r.basic;
  const single = b.responses.find((s) => sameCertId(s.certId, o.certId));
  if (!single) return fail('OCSP_NO_MATCHING_RESPONSE', `the response does not answer serial ${Buffer.from(o.certId.serial).toString('hex')}`);
  if (o.nonce && b.nonce && !Buffer.from(o.nonce).equals(Buffer.from(b.nonce))) return fail('OCSP_NONCE_MISMATCH', 'the response carries another request\'s nonce (a replay?)');
  const skew = o.skewMs ?? 5 * 60_000;
  const now = o.now.getTime();
  if (single.thisUpdate.getTime() > now + skew) return fail('OCSP_STALE', `thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  if (single.nextUpdate && single.nextUpdate.getTime() < now - skew) return fail('OCSP_STALE', `nextUpdate ${single.nextUpdate.toISOString()} has passed`);
  if (!single.nextUpdate && single.thisUpdate.getTime() < now - (o.maxAgeMs ?? 7 * 24 * 3600_000)) return fail('OCSP_STALE', `thisUpdate ${single.thisUpdate.toISOString()} is too old and the response has no nextUpdate`);
  const algo = HASH_OF[b.signatureAlgorithm];
  if (!algo) return fail('OCSP_UNTRUSTED_RESPONDER', `signature algorithm ${b.signatureAlgorithm} is not supported`);
  const signedBy = (c: CertificateInfo): boolean => responderMatches(b.responder, c) && checks(algo, b.tbs, c.publicKey, b.signature);
  const validNow = (c: CertificateInfo): boolean => c.notBefore.getTime() <= now + skew && c.notAfter.getTime() >= now - skew;
  let model: TrustModel | undefined;
  let responder: CertificateInfo | undefined;
  if (signedBy(o.issuer)) {
    model = 'DTM';
    responder = o.issuer;
  } else {
    for (const d of b.certs) {
      const c = parseOrUndefined(d);
      if (!c || !isIssuedBy(c, o.issuer) || !(c.extensions.extendedKeyUsage ?? []).includes(OID.ocspSigning) || !validNow(c)) continue;
      if (signedBy(c)) {
        model = 'DTM';
        responder = c;
        break;
      }
    }
  }
  if (!model) {
    responder = o.trustedResponders.find((c) => validNow(c) && signedBy(c));
    if (responder) model = 'TRP';
  }
  if (!model || !responder) {
    return fail('OCSP_UNTRUSTED_RESPONDER', 'the response is signed neither by the issuing CA or a responder it delegated (DTM) nor by a responder certificate in tomcat-trust (TRP)');
  }
  const base = { model, responder: responder.subjectCucm, thisUpdate: single.thisUpdate, ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}) };
  switch (single.cert.status) {
    case 'good': return { status: 'good', ...base };
    case 'unknown': return { status: 'unknown', ...base };
    case 'revoked': return { status: 'revoked', ...base, revokedAt: single.cert.revokedAt, ...(single.cert.reason ? { reason: single.cert.reason } : {}) };
  }
}

function responderMatches(id: { byName: Uint8Array } | { byKey: Uint8Array }, c: CertificateInfo): boolean {
  if ('byKey' in id) return Buffer.from(id.byKey).equals(createHash('sha1').update(c.publicKeyBits).digest());
  return Buffer.from(id.byName).equals(Buffer.from(subjectNameDer(c)));
}

function checks(algo: { hash: string; ec: boolean }, data: Uint8Array, key: KeyObject, sig: Uint8Array): boolean {
  try {
    return verify(algo.hash, data, algo.ec ? { key, dsaEncoding: 'der' } : key, sig);
  } catch {
    return false;
  }
}

function parseOrUndefined(der: Uint8Array): CertificateInfo | undefined {
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}
