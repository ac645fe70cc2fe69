import { createVerify, type KeyObject } from 'node:crypto';
import { bytesEqual } from '../bytes/index.js';
import { defaultKeyCache, sameName, stripLeadingZeros, type CertificateInfo, type PublicKeyCache } from '../pki/index.js';
import type { TrustListHeader, TrustListRecord } from './model.js';
import { ELEMENT_OVERHEAD } from './tlv.js';
import { digestName, MODULUS_BYTES, Role, SIGNATURE_ALGORITHM_RSA, type DigestName } from './tags.js';
import { parseForVerification, type DecodeLimits } from './list.js';

/**
 * Signature verification of ITL/CTL and .sgn files (formats.md §1.7). Verification returns a
 * result: a file that does not verify is an expected outcome, not an exception. Malformed
 * bytes still throw a `DecodeError` from the decoder.
 *
 * Who may have signed:
 * - With `trusted` anchors (the caller's trust: a certificate given on the command line, or a
 *   phone's installed ITL/CTL records), only an anchor whose *identity* the header names counts:
 *   serial (tag 5), issuer (tag 6) and signer name (tag 4). A trusted key inside a certificate
 *   the header does not name proves nothing about who the file says signed it
 *   (docs/decisions/026-trust-by-certificate.md). No named anchor: `SIGNER_NOT_TRUSTED`; a named
 *   anchor under which the signature fails: `SIGNATURE_INVALID` (SC-22: a known signer with bad
 *   bytes is rejected, never sent to TVS).
 * - Without anchors, the file's own SAST records are tried (self-consistency), first those whose
 *   serial and issuer match header tags 5/6 (certutils' rule), then the rest (Cisco's reference
 *   parser tries each SAST record — SCFParser output, formats.md §1.7). A signature that only
 *   verifies under a SAST record the header does not name is `SIGNER_MISMATCH`: phones key on
 *   the header's signer (phone-behaviour.md SC-22).
 */

export type VerifyReason =
  | 'VALID'
  | 'SIGNATURE_INVALID'
  | 'SIGNER_NOT_FOUND'
  | 'SIGNER_NOT_TRUSTED'
  | 'SIGNER_MISMATCH'
  | 'UNSUPPORTED_DIGEST'
  | 'UNSUPPORTED_ALGORITHM'
  | 'MODULUS_MISMATCH';

/** A certificate the caller trusts to sign, with the fields used to match header tags 5/6. */
export interface TrustAnchor {
  der: Uint8Array;
  serial: Uint8Array;
  issuerName?: string;
  /** The certificate's subject, matched against header tag 4 (signer name). */
  subjectName?: string;
}

export interface VerifyResult {
  valid: boolean;
  reason: VerifyReason;
  message: string;
  digest: DigestName | null;
  /**
   * Who verified: a record of the file, or one of the caller's anchors (by index). `record` is
   * the file's record holding that same certificate, if any (for marking it in `show itl`).
   */
  signer?: { source: 'record' | 'trusted'; index: number; headerMatch: boolean; record: number | null };
}

export interface VerifyOptions extends DecodeLimits {
  trusted?: readonly TrustAnchor[];
  keyCache?: PublicKeyCache;
}

export function anchorOfCertificate(c: CertificateInfo): TrustAnchor {
  return { der: c.der, serial: c.serial, issuerName: c.issuerCucm, subjectName: c.subjectCucm };
}

/** An anchor from a trust-list record, or `undefined` for a placeholder without certificate. */
export function anchorOfRecord(r: TrustListRecord): TrustAnchor | undefined {
  if (!r.certificate) return undefined;
  return {
    der: r.certificate,
    serial: r.serial ?? new Uint8Array(0),
    ...(r.issuer !== undefined ? { issuerName: r.issuer } : {}),
    ...(r.subject !== undefined ? { subjectName: r.subject } : {}),
  };
}

interface Candidate {
  source: 'record' | 'trusted';
  index: number;
  key: KeyObject | null;
  headerMatch: boolean;
}

function matchesHeader(h: TrustListHeader, serial: Uint8Array | undefined, issuer: string | undefined): boolean {
  if (!serial || !bytesEqual(stripLeadingZeros(serial), stripLeadingZeros(h.signerSerial))) return false;
  return issuer === undefined || sameName(issuer, h.signerIssuer);
}

function keyOf(cache: PublicKeyCache, der: Uint8Array | undefined, pkcs1: Uint8Array | undefined): KeyObject | null {
  if (der) return cache.fromCertificate(der);
  return pkcs1 ? cache.fromPkcs1(pkcs1) : null;
}

function sortByMatch(c: Candidate[]): Candidate[] {
  return [...c.filter((x) => x.headerMatch), ...c.filter((x) => !x.headerMatch)];
}

export function recordCandidates(h: TrustListHeader, records: ReadonlyArray<TrustListRecord | undefined>, cache: PublicKeyCache): Candidate[] {
  const out: Candidate[] = [];
  records.forEach((r, index) => {
    if (!r || r.role !== Role.SAST) return;
    if (!r.certificate && !r.publicKey) return;
    out.push({ source: 'record', index, key: keyOf(cache, r.certificate, r.publicKey), headerMatch: matchesHeader(h, r.serial, r.issuer) });
  });
  return sortByMatch(out);
}

/** An anchor is the signer the header names when serial, issuer and subject all agree. */
function namesAnchor(h: TrustListHeader, a: TrustAnchor): boolean {
  return matchesHeader(h, a.serial, a.issuerName) && (a.subjectName === undefined || sameName(a.subjectName, h.signerName));
}

function anchorCandidates(h: TrustListHeader, anchors: readonly TrustAnchor[], cache: PublicKeyCache, named: boolean): Candidate[] {
  const out: Candidate[] = [];
  anchors.forEach((a, index) => {
    if (namesAnchor(h, a) === named) out.push({ source: 'trusted', index, key: cache.fromCertificate(a.der), headerMatch: named });
  });
  return out;
}

/** The signed bytes as two views (before and after the signature element); hashing them in
 * two `update`s avoids copying the whole file. */
type SignedParts = readonly [Uint8Array, Uint8Array];

function tryCandidates(candidates: readonly Candidate[], digest: DigestName, data: SignedParts, sig: Uint8Array): Candidate | undefined {
  for (const c of candidates) {
    const k = c.key;
    if (!k || k.asymmetricKeyType !== 'rsa') continue;
    if ((k.asymmetricKeyDetails?.modulusLength ?? 0) / 8 !== sig.length) continue;
    if (createVerify(digest).update(data[0]).update(data[1]).verify(k, sig)) return c;
  }
  return undefined;
}

/**
 * Verifies the signature of a file whose header was decoded from `bytes`, against explicit
 * candidates (file records, trusted anchors, or both).
 */
export function verifyHeaderSignature(
  bytes: Uint8Array,
  header: TrustListHeader,
  signatureOffset: number,
  sources: { records?: ReadonlyArray<TrustListRecord | undefined>; trusted?: readonly TrustAnchor[] },
  cache: PublicKeyCache = defaultKeyCache,
): VerifyResult {
  const digest = digestName(header.digest) ?? null;
  const fail = (reason: VerifyReason, message: string): VerifyResult => ({ valid: false, reason, message, digest });
  if (!digest) return fail('UNSUPPORTED_DIGEST', `digest algorithm id ${header.digest} is not SHA-1 (1), SHA-256 (2) or SHA-512 (3)`);
  if (header.signatureAlgorithm !== SIGNATURE_ALGORITHM_RSA) {
    return fail('UNSUPPORTED_ALGORITHM', `signature algorithm ${header.signatureAlgorithm} is not RSA (0)`);
  }
  const expected = MODULUS_BYTES[header.modulusCode];
  if (expected === undefined || expected !== header.signature.length) {
    return fail('MODULUS_MISMATCH', `signature of ${header.signature.length} bytes does not match modulus code ${header.modulusCode}${expected ? ` (${expected} bytes)` : ''}`);
  }
  const data: SignedParts = [bytes.subarray(0, signatureOffset), bytes.subarray(signatureOffset + ELEMENT_OVERHEAD + header.signature.length)];
  const own = sources.records ? recordCandidates(header, sources.records, cache) : [];
  if (sources.trusted) {
    const hit = tryCandidates(anchorCandidates(header, sources.trusted, cache, true), digest, data, header.signature);
    if (hit) {
      const der = sources.trusted[hit.index]!.der;
      const record = sources.records?.findIndex((r) => r?.certificate !== undefined && bytesEqual(r.certificate, der)) ?? -1;
      return ok(hit, digest, record >= 0 ? record : null);
    }
    if (sources.trusted.some((a) => namesAnchor(header, a))) {
      return fail('SIGNATURE_INVALID', `the signature does not verify under the trusted certificate the header names (${signerText(header)})`);
    }
    // Said only to explain the refusal: the key of another trusted certificate made the signature.
    const sameKey = tryCandidates(anchorCandidates(header, sources.trusted, cache, false), digest, data, header.signature);
    const why = sameKey
      ? `; the signature verifies under the key of trusted certificate ${sources.trusted[sameKey.index]!.subjectName ?? `#${sameKey.index + 1}`} (serial ${hexOf(sources.trusted[sameKey.index]!.serial)}), but phones trust a signer by the name and serial the header gives, not by key`
      : '';
    return fail('SIGNER_NOT_TRUSTED', `the file is signed by ${signerText(header)}, which is not among the trusted certificates${why}`);
  }
  if (own.length === 0) return fail('SIGNER_NOT_FOUND', 'the file has no SAST record to verify its signature with; pass a trusted certificate');
  const hit = tryCandidates(own, digest, data, header.signature);
  if (!hit) return fail('SIGNATURE_INVALID', `the signature does not verify under any SAST record`);
  if (!hit.headerMatch) {
    return { ...fail('SIGNER_MISMATCH', `the signature verifies only under SAST record #${hit.index + 1}, which is not the signer the header names (serial ${hexOf(header.signerSerial)})`), signer: describe(hit, hit.index) };
  }
  return ok(hit, digest, hit.index);
}

function ok(c: Candidate, digest: DigestName, record: number | null): VerifyResult {
  return { valid: true, reason: 'VALID', message: `signature verified (${digest})`, digest, signer: describe(c, record) };
}

function describe(c: Candidate, record: number | null): NonNullable<VerifyResult['signer']> {
  return { source: c.source, index: c.index, headerMatch: c.headerMatch, record };
}

function signerText(h: TrustListHeader): string {
  return `${h.signerName || '(no name)'} (serial ${hexOf(h.signerSerial)}, issuer ${h.signerIssuer || '(none)'})`;
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/**
 * Decodes and verifies an ITL or CTL. Throws `DecodeError` for malformed bytes; every other
 * outcome is in the result.
 */
export function verifyTrustList(bytes: Uint8Array, options: VerifyOptions = {}): VerifyResult {
  const parsed = parseForVerification(bytes, options);
  return verifyHeaderSignature(bytes, parsed.header, parsed.signatureOffset, {
    records: parsed.records,
    ...(options.trusted ? { trusted: options.trusted } : {}),
  }, options.keyCache);
}
