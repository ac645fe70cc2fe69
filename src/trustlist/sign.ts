import { createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../pki/index.js';
import { EmulatorError } from '../shared/errors.js';
import type { EncodedTrustList } from './list.js';
import { ELEMENT_OVERHEAD } from './tlv.js';
import { modulusCodeForBytes, type DigestName } from './tags.js';

/**
 * Signing (formats.md §1.7): RSA PKCS#1 v1.5 with a DigestInfo for the header's digest, over
 * the whole file with the signature element (tag byte, 2 length bytes and value) removed.
 *
 * The file is encoded once with a zero signature of the right length, so every length and
 * the header-length field are final before signing; the signature is then written in place.
 */

export interface Signer {
  certificate: CertificateInfo;
  privateKey: KeyObject;
}

export interface SignatureShape {
  /** Signature length in bytes (= RSA modulus bytes). */
  length: number;
  /** Header tag 11 code for that length. */
  modulusCode: number;
}

/**
 * Checks that the signer can sign a trust list and says how long its signature is. Only RSA
 * keys of 512/1024/2048/4096 bits have a modulus code (docs/decisions/002-trustlist-keys.md).
 */
export function signatureShape(signer: Signer): SignatureShape {
  const { certificate: cert, privateKey } = signer;
  if (privateKey.asymmetricKeyType !== 'rsa' || cert.keyType !== 'rsa') {
    throw new EmulatorError('TRUSTLIST_UNSUPPORTED_SIGNER_KEY', `trust lists and .sgn files are signed with RSA keys only; the signer has a ${cert.keyType.toUpperCase()} key. Use an RSA certificate (CallManager or ITLRecovery), not CallManager-ECDSA.`);
  }
  if (!keyMatches(privateKey, cert)) {
    throw new EmulatorError('TRUSTLIST_KEY_MISMATCH', 'the signer private key does not belong to the signer certificate');
  }
  const length = cert.keyBits / 8;
  const modulusCode = modulusCodeForBytes(length);
  if (modulusCode === undefined) {
    throw new EmulatorError('TRUSTLIST_UNSUPPORTED_KEY_SIZE', `no signature-modulus code exists for a ${cert.keyBits}-bit key; use 1024, 2048 or 4096 bits`);
  }
  return { length, modulusCode };
}

/**
 * Whether a private key belongs to a certificate, remembered per pair: a TFTP node signs one
 * config per phone with the same key, and exporting both keys each time cost more than the
 * signature (bench/fleet.ts).
 */
const matched = new WeakMap<KeyObject, WeakSet<CertificateInfo>>();

function keyMatches(privateKey: KeyObject, cert: CertificateInfo): boolean {
  if (matched.get(privateKey)?.has(cert)) return true;
  const spkiOf = (k: KeyObject): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
  if (spkiOf(createPublicKey(privateKey)) !== spkiOf(cert.publicKey)) return false;
  let set = matched.get(privateKey);
  if (!set) matched.set(privateKey, (set = new WeakSet()));
  set.add(cert);
  return true;
}

/** The bytes a trust-list signature covers: everything except the signature element. */
export function signedBytes(file: Uint8Array, signatureOffset: number, signatureLength: number): Buffer {
  const after = signatureOffset + ELEMENT_OVERHEAD + signatureLength;
  return Buffer.concat([file.subarray(0, signatureOffset), file.subarray(after)]);
}

/** Signs an encoded file whose signature element holds zeros, filling the signature in. */
export function signInPlace(enc: EncodedTrustList, signatureLength: number, privateKey: KeyObject, digest: DigestName): Uint8Array {
  const sig = cryptoSign(digest, signedBytes(enc.bytes, enc.signatureOffset, signatureLength), privateKey);
  if (sig.length !== signatureLength) {
    throw new EmulatorError('TRUSTLIST_UNSUPPORTED_KEY_SIZE', `signature is ${sig.length} bytes, expected ${signatureLength}`);
  }
  enc.bytes.set(sig, enc.signatureOffset + ELEMENT_OVERHEAD);
  return enc.bytes;
}
