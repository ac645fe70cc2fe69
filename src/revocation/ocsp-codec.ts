import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReason, Extension, Name } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse, CertID, CertStatus, id_pkix_ocsp_basic, id_pkix_ocsp_nonce, OCSPRequest, OCSPResponse, OCSPResponseStatus,
  Request, ResponseBytes, ResponseData, ResponderID, RevokedInfo, SingleResponse, TBSRequest,
} from '@peculiar/asn1-ocsp';
import { DecodeError } from '../shared/errors.js';
import { stripLeadingZeros, type CertificateInfo } from '../pki/index.js';
import { CrlReason, crlReasonName, type CrlReasonName } from './reasons.js';

/**
 * OCSP messages (RFC 6960 §4), structure from `@peculiar/asn1-ocsp`. Decoders cap the input and
 * turn any ASN.1 failure into a `DecodeError` (`OCSP_TOO_LARGE`, `OCSP_MALFORMED`), so a
 * responder or client never sees a half-parsed message.
 */

/** RFC 6960 does not bound a message; real ones are a few KB. 64 KiB leaves room for chains. */
export const MAX_OCSP_BYTES = 64 * 1024;

export const OID = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

/** A certificate's identity in OCSP: hashes of its issuer's name and key, and its serial. */
export interface CertIdFields {
  hash: 'sha1' | 'sha256';
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** Serial magnitude (no sign byte). */
  serial: Uint8Array;
}

const HASH_OIDS: Record<CertIdFields['hash'], string> = { sha1: OID.sha1, sha256: OID.sha256 };

const subjectDer = new WeakMap<CertificateInfo, Uint8Array>();

/** The DER of a certificate's subject Name (what issuerNameHash hashes, RFC 6960 §4.1.1). */
export function subjectNameDer(c: CertificateInfo): Uint8Array {
  let d = subjectDer.get(c);
  if (!d) {
    const cert = AsnConvert.parse(c.der, Certificate);
    subjectDer.set(c, (d = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subject))));
  }
  return d;
}

/** SHA-1 (or SHA-256) of the issuer's subject DER and of its subjectPublicKey bits, with the serial. */
export function certIdFor(serial: Uint8Array, issuer: CertificateInfo, hash: CertIdFields['hash'] = 'sha1'): CertIdFields {
  return {
    hash,
    issuerNameHash: new Uint8Array(createHash(hash).update(subjectNameDer(issuer)).digest()),
    issuerKeyHash: new Uint8Array(createHash(hash).update(issuer.publicKeyBits).digest()),
    serial: stripLeadingZeros(serial),
  };
}

export function sameCertId(a: CertIdFields, b: CertIdFields): boolean {
  const eq = (x: Uint8Array, y: Uint8Array): boolean => Buffer.from(x).equals(Buffer.from(y));
  return a.hash === b.hash && eq(a.issuerNameHash, b.issuerNameHash) && eq(a.issuerKeyHash, b.issuerKeyHash) && eq(a.serial, b.serial);
}

function toAsnCertId(c: CertIdFields): CertID {
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OIDS[c.hash], parameters: null }),
    issuerNameHash: new OctetString(c.issuerNameHash),
    issuerKeyHash: new OctetString(c.issuerKeyHash),
    serialNumber: integerBytes(c.serial),
  });
}

/** A positive INTEGER's content octets: a leading zero when the top bit is set. */
function integerBytes(magnitude: Uint8Array): ArrayBuffer {
  const m = magnitude.length ? magnitude : new Uint8Array([0]);
  const b = m[0]! & 0x80 ? new Uint8Array([0, ...m]) : new Uint8Array(m);
  return b.buffer;
}

function fromAsnCertId(c: CertID, at: number): CertIdFields {
  const hash = c.hashAlgorithm.algorithm === OID.sha1 ? 'sha1' : c.hashAlgorithm.algorithm === OID.sha256 ? 'sha256' : undefined;
  if (!hash) throw new DecodeError('OCSP_MALFORMED', at, `CertID hash algorithm ${c.hashAlgorithm.algorithm} is not SHA-1 or SHA-256`);
  return {
    hash,
    issuerNameHash: new Uint8Array(c.issuerNameHash.buffer),
    issuerKeyHash: new Uint8Array(c.issuerKeyHash.buffer),
    serial: stripLeadingZeros(new Uint8Array(c.serialNumber)),
  };
}

export interface OcspRequestFields {
  certIds: CertIdFields[];
  /** The nonce value (RFC 8954: the extension's value is an OCTET STRING holding it). */
  nonce?: Uint8Array;
}

export function encodeOcspRequest(r: OcspRequestFields): Uint8Array {
  const requestExtensions = r.nonce ? [nonceExtension(r.nonce)] : undefined;
  const req = new OCSPRequest({
    tbsRequest: new TBSRequest({ requestList: r.certIds.map((c) => new Request({ reqCert: toAsnCertId(c) })), ...(requestExtensions ? { requestExtensions } : {}) }),
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

function nonceExtension(nonce: Uint8Array): Extension {
  return new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))) });
}

function nonceOf(exts: readonly Extension[] | undefined): Uint8Array | undefined {
  const e = exts?.find((x) => x.extnID === id_pkix_ocsp_nonce);
  if (!e) return undefined;
  const raw = new Uint8Array(e.extnValue.buffer);
  // RFC 8954 wraps the nonce in an OCTET STRING; some old responders put the bytes bare.
  try {
    return new Uint8Array(AsnConvert.parse(raw, OctetString).buffer);
  } catch {
    return raw;
  }
}

function parse<T>(der: Uint8Array, type: new () => T, what: string): T {
  if (der.length > MAX_OCSP_BYTES) throw new DecodeError('OCSP_TOO_LARGE', MAX_OCSP_BYTES, `${what} of ${der.length} bytes is over the ${MAX_OCSP_BYTES}-byte cap`);
  if (der.length === 0) throw new DecodeError('OCSP_MALFORMED', 0, `${what} is empty`);
  try {
    return AsnConvert.parse(der, type);
  } catch (err) {
    throw new DecodeError('OCSP_MALFORMED', 0, `${what} is not valid DER: ${(err as Error).message}`);
  }
}

export function decodeOcspRequest(der: Uint8Array): OcspRequestFields {
  const req = parse(der, OCSPRequest, 'OCSP request');
  const list = req.tbsRequest.requestList;
  if (list.length === 0) throw new DecodeError('OCSP_MALFORMED', 0, 'OCSP request asks about no certificate');
  if (list.length > 64) throw new DecodeError('OCSP_MALFORMED', 0, `OCSP request asks about ${list.length} certificates (at most 64)`);
  const nonce = nonceOf(req.tbsRequest.requestExtensions);
  return { certIds: list.map((r) => fromAsnCertId(r.reqCert, 0)), ...(nonce ? { nonce } : {}) };
}

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: CrlReasonName }
  | { status: 'unknown' };

export interface OcspSingleResponse {
  certId: CertIdFields;
  cert: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export type ResponseStatusName = 'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';

export interface OcspResponseFields {
  status: ResponseStatusName;
  basic?: {
    responder: { byName: Uint8Array } | { byKey: Uint8Array };
    producedAt: Date;
    responses: OcspSingleResponse[];
    nonce?: Uint8Array;
    /** The signed bytes (ResponseData DER as received) and the signature over them. */
    tbs: Uint8Array;
    signatureAlgorithm: string;
    signature: Uint8Array;
    /** DER certificates the responder sent (a delegated responder's own certificate). */
    certs: Uint8Array[];
  };
}

const STATUS_BY_CODE: Record<number, ResponseStatusName> = { 0: 'successful', 1: 'malformedRequest', 2: 'internalError', 3: 'tryLater', 5: 'sigRequired', 6: 'unauthorized' };

export function decodeOcspResponse(der: Uint8Array): OcspResponseFields {
  const resp = parse(der, OCSPResponse, 'OCSP response');
  const status = STATUS_BY_CODE[resp.responseStatus];
  if (!status) throw new DecodeError('OCSP_MALFORMED', 0, `OCSP responseStatus ${resp.responseStatus} is not defined by RFC 6960`);
  if (status !== 'successful') return { status };
  const bytes = resp.responseBytes;
  if (!bytes) throw new DecodeError('OCSP_MALFORMED', 0, 'a successful OCSP response has no responseBytes');
  if (bytes.responseType !== id_pkix_ocsp_basic) throw new DecodeError('OCSP_MALFORMED', 0, `OCSP response type ${bytes.responseType} is not id-pkix-ocsp-basic`);
  const basic = parse(new Uint8Array(bytes.response.buffer), BasicOCSPResponse, 'BasicOCSPResponse');
  const data = basic.tbsResponseData;
  const rid = data.responderID;
  const responder = rid.byKey ? { byKey: new Uint8Array(rid.byKey.buffer) } : rid.byName ? { byName: new Uint8Array(AsnConvert.serialize(rid.byName)) } : undefined;
  if (!responder) throw new DecodeError('OCSP_MALFORMED', 0, 'OCSP ResponderID is neither byName nor byKey');
  // The signature covers ResponseData exactly as sent; re-encoding could differ from it.
  const tbs = basic.tbsResponseDataRaw ? new Uint8Array(basic.tbsResponseDataRaw) : new Uint8Array(AsnConvert.serialize(data));
  const nonce = nonceOf(data.responseExtensions);
  return {
    status,
    basic: {
      responder,
      producedAt: data.producedAt,
      responses: data.responses.map((s) => ({
        certId: fromAsnCertId(s.certID, 0),
        cert: statusOf(s.certStatus),
        thisUpdate: s.thisUpdate,
        ...(s.nextUpdate ? { nextUpdate: s.nextUpdate } : {}),
      })),
      ...(nonce ? { nonce } : {}),
      tbs,
      signatureAlgorithm: basic.signatureAlgorithm.algorithm,
      signature: new Uint8Array(basic.signature),
      certs: (basic.certs ?? []).map((c) => new Uint8Array(AsnConvert.serialize(c))),
    },
  };
}

function statusOf(s: CertStatus): OcspCertStatus {
  if (s.revoked) {
    const reason = s.revoked.revocationReason !== undefined ? crlReasonName(Number(s.revoked.revocationReason.reason)) : undefined;
    return { status: 'revoked', revokedAt: s.revoked.revocationTime, ...(reason ? { reason } : {}) };
  }
  if (s.good !== undefined) return { status: 'good' };
  return { status: 'unknown' };
}

/** An unsuccessful response: status only (RFC 6960 §2.3). */
export function encodeOcspError(status: Exclude<ResponseStatusName, 'successful'>): Uint8Array {
  const code = Number(Object.entries(STATUS_BY_CODE).find(([, n]) => n === status)![0]) as OCSPResponseStatus;
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: code })));
}

export interface BasicResponseInput {
  responder: { byName: Name } | { byKey: Uint8Array };
  producedAt: Date;
  responses: OcspSingleResponse[];
  nonce?: Uint8Array;
  certs?: readonly Uint8Array[];
}

/** ResponseData DER, to be signed. */
export function encodeResponseData(r: BasicResponseInput): { data: ResponseData; der: Uint8Array } {
  const responderID = 'byName' in r.responder ? new ResponderID({ byName: r.responder.byName }) : new ResponderID({ byKey: new OctetString(r.responder.byKey) });
  const data = new ResponseData({
    responderID,
    producedAt: r.producedAt,
    responses: r.responses.map((s) => new SingleResponse({
      certID: toAsnCertId(s.certId),
      certStatus: toAsnStatus(s.cert),
      thisUpdate: s.thisUpdate,
      ...(s.nextUpdate ? { nextUpdate: s.nextUpdate } : {}),
    })),
    ...(r.nonce ? { responseExtensions: [nonceExtension(r.nonce)] } : {}),
  });
  return { data, der: new Uint8Array(AsnConvert.serialize(data)) };
}

function toAsnStatus(s: OcspCertStatus): CertStatus {
  switch (s.status) {
    case 'good': return new CertStatus({ good: null });
    case 'unknown': return new CertStatus({ unknown: null });
    case 'revoked': return new CertStatus({
      revoked: new RevokedInfo({ revocationTime: s.revokedAt, ...(s.reason ? { revocationReason: new CRLReason(CrlReason[s.reason]) } : {}) }),
    });
  }
}

/** The full OCSPResponse around a signed ResponseData. */
export function encodeOcspResponse(data: ResponseData, signatureAlgorithm: string, signature: Uint8Array, certs: readonly Uint8Array[] = []): Uint8Array {
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: signatureAlgorithm, ...(signatureAlgorithm.startsWith('1.2.840.10045') ? {} : { parameters: null }) }),
    signature: signature.slice().buffer,
    ...(certs.length ? { certs: certs.map((d) => AsnConvert.parse(d, Certificate)) } : {}),
  });
  const outer = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
  });
  return new Uint8Array(AsnConvert.serialize(outer));
}
