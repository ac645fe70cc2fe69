import { generateKeyPair as nodeGenerateKeyPair, webcrypto, type KeyObject } from 'node:crypto';

type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
type EcKeyImportParams = webcrypto.EcKeyImportParams;
import { promisify } from 'node:util';
import { EmulatorError } from '../shared/errors.js';

/**
 * Key pairs with native `node:crypto`. RSA 1024–4096 and EC P-256/P-384, the sizes the CUCM
 * certificate chapter allows (ucm-certificates.txt, Table 6). An RSA-2048 key costs about
 * 0.2 s to generate, so fleets and test suites take keys from the key pool instead.
 */
export type KeySpec = { type: 'rsa'; bits: 1024 | 2048 | 3072 | 4096 } | { type: 'ec'; curve: 'P-256' | 'P-384' };

export interface KeyPair {
  spec: KeySpec;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(nodeGenerateKeyPair);

export async function generateKeyPair(spec: KeySpec): Promise<KeyPair> {
  const pair = spec.type === 'rsa'
    ? await generate('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 })
    : await generate('ec', { namedCurve: spec.curve });
  return { spec, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** Describes a key as a spec (used when keys are loaded from PEM). */
export function specOf(key: KeyObject): KeySpec {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength;
    if (bits === 1024 || bits === 2048 || bits === 3072 || bits === 4096) return { type: 'rsa', bits };
    throw new EmulatorError('PKI_BAD_KEY', `RSA key of ${bits} bits is not one of 1024, 2048, 3072, 4096`);
  }
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') return { type: 'ec', curve: 'P-256' };
    if (d.namedCurve === 'secp384r1') return { type: 'ec', curve: 'P-384' };
    throw new EmulatorError('PKI_BAD_KEY', `EC curve ${d.namedCurve} is not P-256 or P-384`);
  }
  throw new EmulatorError('PKI_BAD_KEY', `unsupported key type ${key.asymmetricKeyType}`);
}

export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** WebCrypto algorithm for signing with a key of this spec (what @peculiar/x509 needs). */
export function signingAlgorithm(spec: KeySpec, hash: HashName): RsaHashedImportParams | EcKeyImportParams & { hash: HashName } {
  return spec.type === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash }
    : { name: 'ECDSA', namedCurve: spec.curve, hash };
}
