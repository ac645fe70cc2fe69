import { createPrivateKey, type KeyObject } from 'node:crypto';
import { EmulatorError } from '../shared/errors.js';

/** Reads a private key from PEM (PKCS#8, PKCS#1 or SEC1) or DER PKCS#8. Throws `PKI_BAD_KEY`. */
export function readPrivateKey(bytes: Uint8Array): KeyObject {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return buf.includes('-----BEGIN') ? createPrivateKey(buf.toString('latin1')) : createPrivateKey({ key: buf, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new EmulatorError('PKI_BAD_KEY', `not a readable private key: ${(cause as Error).message}`, { cause });
  }
}
