import { ByteWriter } from '../bytes/index.js';
import { DecodeError } from '../shared/errors.js';
import { MAX_SGN_BYTES } from './constants.js';
import { headerFor, type BuildOptions } from './build.js';
import { decodeHeader, encodeHeader } from './header.js';
import type { SignedFile } from './model.js';
import { signInPlace } from './sign.js';
import { verifyHeaderSignature, type TrustAnchor, type VerifyResult } from './verify.js';
import type { PublicKeyCache } from '../pki/index.js';

/**
 * Signed files (`SEP<MAC>.cnf.xml.sgn`, ring lists, locales…): the trust-list header followed
 * by the untouched original bytes, which start exactly at the header length (formats.md §2).
 * The signature covers the header without its signature element, plus the payload.
 *
 * The header version defaults to 1.2, the version CUCM writes in its trust lists; certutils
 * has written 1.2, 2.0 and now 1.0, and phones accept them (docs/decisions/004-sgn-header.md).
 * `.enc.sgn` (formats.md §3) is not built yet; its extra header tags decode as unknown tags.
 */

export interface ParsedSignedFile {
  file: SignedFile & { layout: NonNullable<SignedFile['layout']> };
  signatureOffset: number;
}

export function parseSignedFile(bytes: Uint8Array, maxBytes = MAX_SGN_BYTES): ParsedSignedFile {
  if (bytes.length > maxBytes) {
    throw new DecodeError('TRUSTLIST_TOO_LARGE', maxBytes, `signed file of ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`);
  }
  const { header, layout, signatureOffset } = decodeHeader(bytes);
  return { file: { header, payload: bytes.subarray(header.headerLength), layout: { header: layout } }, signatureOffset };
}

export function decodeSignedFile(bytes: Uint8Array): SignedFile {
  return parseSignedFile(bytes).file;
}

export function encodeSignedFile(f: SignedFile): Uint8Array {
  const w = new ByteWriter(512 + f.payload.length);
  encodeHeader(w, f.header, f.layout?.header);
  w.bytes(f.payload);
  return w.finish();
}

export interface SignOptions extends Omit<BuildOptions, 'records' | 'filename'> {
  payload: Uint8Array;
  /** Tag 14: the .sgn file's own name, e.g. `SEP001122334455.cnf.xml.sgn`. */
  filename: string;
}

/** Signs a payload into a `.sgn` file. */
export function buildSignedFile(o: SignOptions): Uint8Array {
  const header = headerFor(o, o.filename);
  const w = new ByteWriter(512 + o.payload.length);
  const { signatureOffset } = encodeHeader(w, header, undefined, o.dialect);
  w.bytes(o.payload);
  return signInPlace({ bytes: w.finish(), signatureOffset }, header.signature.length, o.signer.privateKey, o.digest ?? 'sha1');
}

/** The original file inside a `.sgn` (certutils `stripsgn`: drop `header length` bytes). */
export function stripSignedFile(bytes: Uint8Array): Uint8Array {
  return parseSignedFile(bytes).file.payload;
}

/**
 * Verifies a `.sgn` against the signers the caller trusts: a `.sgn` carries no certificate, so
 * there is nothing to check it against without anchors (the phone uses its ITL/CTL TFTP or
 * CCM+TFTP records, phone-behaviour.md CFG-2).
 */
export function verifySignedFile(bytes: Uint8Array, trusted: readonly TrustAnchor[], keyCache?: PublicKeyCache): VerifyResult {
  const { file, signatureOffset } = parseSignedFile(bytes);
  return verifyHeaderSignature(bytes, file.header, signatureOffset, { trusted }, keyCache);
}
