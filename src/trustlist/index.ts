/**
 * ITL / CTL / .sgn codecs, signing, verification and `show itl`-style rendering
 * (formats.md §1–2).
 */
export type { TrustList, TrustListHeader, TrustListRecord, TrustListLayout, HeaderLayout, RecordLayout, UnknownElement, SignedFile, Dialect, Version } from './model.js';
export { HeaderTag, RecordTag, Role, ROLE_NAMES, ROLE_DISPLAY_NAMES, roleName, parseRole, DIGESTS, WRITABLE_DIGESTS, digestName, digestId, MODULUS_BYTES, type DigestName, type RoleCode } from './tags.js';
export { MAX_TRUSTLIST_BYTES, MAX_RECORDS, MAX_SGN_BYTES, PHONE_ITL_SIZE_LIMIT, CUCM_HEADER_VERSION } from './constants.js';
export { decodeHeader, encodeHeader, encodeHeaderBytes, encodedLengthHeader, containerLengthsOf } from './header.js';
export { decodeRecord, encodeRecord, encodeRecordBytes, encodedLengthRecord } from './record.js';
export { parseTrustList, parseForVerification, scanRecords, decodeTrustList, encodeTrustList, encodeTrustListWithOffsets, encodedLengthTrustList, type ParsedTrustList, type DecodeLimits } from './list.js';
export { buildTrustList, signTrustList, recordFor, headerFor, ipv4Bytes, ipv4String, type BuildOptions, type RecordSpec } from './build.js';
export { signatureShape, signedBytes, type Signer } from './sign.js';
export { verifyTrustList, verifyHeaderSignature, anchorOfCertificate, anchorOfRecord, type VerifyResult, type VerifyReason, type VerifyOptions, type TrustAnchor } from './verify.js';
export { parseSignedFile, decodeSignedFile, encodeSignedFile, buildSignedFile, stripSignedFile, verifySignedFile, type SignOptions } from './sgn.js';
export { summarize, detectDialect, kindOf, type TrustListSummary, type RecordSummary } from './summary.js';
export { renderShowItl } from './render.js';
