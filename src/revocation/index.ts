/**
 * Revocation (ucm-certificates.txt, "Certificate Monitoring and Revocation"; issue 16): OCSP
 * (RFC 6960) and CRL (RFC 5280) codecs, the lab CA's responder and CRL distribution point, and
 * the cluster's OCSP client with the chapter's trust models (DTM, then TRP).
 */
export { CrlReason, CRL_REASON_NAMES, crlReasonName, parseCrlReason, type CrlReasonName } from './reasons.js';
export {
  certIdFor, sameCertId, encodeOcspRequest, decodeOcspRequest, decodeOcspResponse, encodeOcspError, encodeResponseData, encodeOcspResponse,
  subjectNameDer, MAX_OCSP_BYTES, OID, type CertIdFields, type OcspRequestFields, type OcspResponseFields, type OcspSingleResponse, type OcspCertStatus,
} from './ocsp-codec.js';
export { emptyCaState, normalSerial, recordIssued, revoke, statusOf, type CaRevocationState, type IssuedEntry, type RevokedEntry, type RegistryStatus } from './registry.js';
export { answerOcsp, signWith, type ServedCa, type OcspSigner, type ResponderOptions } from './responder.js';
export { judgeOcspResponse, type OcspResult, type OcspFailureCode, type TrustModel, type JudgeOptions } from './judge.js';
export { checkOcsp, OCSP_TIMEOUT_MS, type OcspCheck } from './client.js';
export { buildCrl, decodeCrl, MAX_CRL_BYTES, type CrlBuild, type DecodedCrl, type CrlEntry } from './crl.js';
export { RevocationServer, LAB_CA_HTTP_PORT, type RevocationCa, type RevocationSource, type RevocationEvent, type RevocationServerOptions } from './server.js';
export { boundedFetch, type FetchOutcome } from './fetch.js';
export { checkCrl, type CrlResult, type CrlCheck, type CrlFailureCode } from './crl-client.js';
