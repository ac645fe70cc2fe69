import { sign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import type { KeyObject } from 'node:crypto';
import { isEmulatorError } from '../shared/errors.js';
import type { CertificateInfo } from '../pki/index.js';
import {
  certIdFor, decodeOcspRequest, encodeOcspError, encodeOcspResponse, encodeResponseData, OID, sameCertId, subjectNameDer,
  type OcspCertStatus, type OcspSingleResponse,
} from './ocsp-codec.js';
import { statusOf, type CaRevocationState } from './registry.js';

/**
 * The lab CA's OCSP responder logic (RFC 6960 §2.2), with no I/O: a request in, a signed
 * response out. Each CertID is answered from the registry of the CA it names; a CertID for an
 * issuer this responder does not serve is `unknown` (§2.2). The response is signed by the CA
 * itself or by a delegated responder certificate the CA issued with id-kp-OCSPSigning (§4.2.2.2),
 * which is sent along in `certs` — the two trust models CUCM checks (DTM) or falls back from (TRP).
 */
export interface ServedCa {
  certificate: CertificateInfo;
  state: CaRevocationState;
}

export interface OcspSigner {
  certificate: CertificateInfo;
  privateKey: KeyObject;
  /** Send the certificate in the response (a delegated responder must; the CA need not). */
  include: boolean;
}

export interface ResponderOptions {
  cas: readonly ServedCa[];
  /** Who signs responses for a CA (default: the CA itself is not signing here; the caller decides). */
  signerFor: (ca: ServedCa) => OcspSigner;
  now: Date;
  /** nextUpdate = now + this (RFC 6960 §4.2.2.1). Default 1 day. */
  validityMs?: number;
}

const DAY = 24 * 3600 * 1000;

export function answerOcsp(requestDer: Uint8Array, o: ResponderOptions): Uint8Array {
  let req;
  try {
    req = decodeOcspRequest(requestDer);
  } catch (err) {
    if (isEmulatorError(err)) return encodeOcspError('malformedRequest');
    throw err;
  }
  const thisUpdate = new Date(Math.floor(o.now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + (o.validityMs ?? DAY));
  let servedBy: ServedCa | undefined;
  const responses: OcspSingleResponse[] = req.certIds.map((certId) => {
    const ca = o.cas.find((c) => sameCertId(certIdFor(certId.serial, c.certificate, certId.hash), certId));
    if (ca) servedBy ??= ca;
    const cert: OcspCertStatus = ca ? fromRegistry(ca.state, Buffer.from(certId.serial).toString('hex')) : { status: 'unknown' };
    return { certId, cert, thisUpdate, nextUpdate };
  });
  const signer = o.signerFor(servedBy ?? o.cas[0]!);
  const { data, der } = encodeResponseData({
    responder: { byName: AsnConvert.parse(subjectNameDer(signer.certificate), Name) },
    producedAt: thisUpdate,
    responses,
    ...(req.nonce ? { nonce: req.nonce } : {}),
  });
  const { algorithm, signature } = signWith(signer.privateKey, der);
  return encodeOcspResponse(data, algorithm, signature, signer.include ? [signer.certificate.der] : []);
}

function fromRegistry(state: CaRevocationState, serialHex: string): OcspCertStatus {
  const s = statusOf(state, serialHex);
  return s.status === 'revoked' ? { status: 'revoked', revokedAt: s.revokedAt, reason: s.reason } : s;
}

/** SHA-256 with the signer's key: RSA PKCS#1 v1.5 or ECDSA (DER signature). */
export function signWith(key: KeyObject, data: Uint8Array): { algorithm: string; signature: Uint8Array } {
  const algorithm = key.asymmetricKeyType === 'ec' ? OID.ecdsaSha256 : OID.sha256WithRsa;
  return { algorithm, signature: new Uint8Array(sign('sha256', data, key)) };
}
