import { constants, createHash, privateEncrypt, publicDecrypt, sign, verify, type KeyObject } from 'node:crypto';
import { CapfHash } from './tables.js';

/**
 * The phone's proof of possession in AUTH_RESP (formats.md §5, CAPF-4): the data is the device
 * name, a NUL and the DER of the certificate the phone authenticates with.
 *
 * - RSA: the "signature" is the raw hash wrapped in PKCS#1 type-1 padding with **no DigestInfo**
 *   (OpenSSL `RSA_private_encrypt` of the bare digest). A standard RSASSA-PKCS1-v1_5 verifier
 *   would reject it, so the server recovers the block with `crypto.publicDecrypt` (OpenSSL
 *   `RSA_public_decrypt`, PKCS#1 padding) and compares it with the digest.
 * - EC: an ordinary DER ECDSA signature over the data.
 *
 * SIGNED_DATA uses SHA-1, SHA2_SIGNED_DATA SHA-512 (hash byte 3). The SUDI block signs the
 * little-endian u32 session id followed by the SUDI certificate, RSA only.
 */
export type ProofHash = 'sha1' | 'sha512';

/** The bytes the phone signs: `deviceName | 0x00 | certificate DER`. */
export function proofData(deviceName: string, certificateDer: Uint8Array): Uint8Array {
  const name = Buffer.from(deviceName, 'utf8');
  const out = new Uint8Array(name.length + 1 + certificateDer.length);
  out.set(name);
  out.set(certificateDer, name.length + 1);
  return out;
}

/** The bytes a SUDI signature covers: the session id as little-endian u32, then the DER. */
export function sudiData(sessionId: number, certificateDer: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + certificateDer.length);
  new DataView(out.buffer).setUint32(0, sessionId >>> 0, true);
  out.set(certificateDer, 4);
  return out;
}

/** Signs `data` the way a phone does (raw-hash RSA block, or ECDSA). */
export function signProof(data: Uint8Array, privateKey: KeyObject, hash: ProofHash): Uint8Array {
  if (privateKey.asymmetricKeyType === 'rsa') {
    const digest = createHash(hash).update(data).digest();
    return new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digest));
  }
  return new Uint8Array(sign(hash, data, privateKey));
}

/**
 * Checks a proof made by {@link signProof}. For RSA the recovered block must begin with the
 * digest; capfd compares only that prefix, and so do we. Never throws for a bad signature.
 */
export function verifyProof(data: Uint8Array, publicKey: KeyObject, signature: Uint8Array, hash: ProofHash): boolean {
  try {
    if (publicKey.asymmetricKeyType === 'rsa') {
      const digest = createHash(hash).update(data).digest();
      const block = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      return block.length >= digest.length && block.subarray(0, digest.length).equals(digest);
    }
    if (publicKey.asymmetricKeyType === 'ec') return verify(hash, data, publicKey, signature);
    return false;
  } catch {
    return false;
  }
}

/** The {@link ProofHash} for a SHA2_SIGNED_DATA / SUDI hash byte, if we can check it. */
export function proofHashOf(hashByte: number): ProofHash | undefined {
  return hashByte === CapfHash.Sha1 ? 'sha1' : hashByte === CapfHash.Sha512 ? 'sha512' : undefined;
}
