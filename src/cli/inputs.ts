import { readFileBytes } from '../shared/fs.js';
import { EmulatorError } from '../shared/errors.js';
import { looksLikePem, parseCertificate, pemCertificates, readPrivateKey, type CertificateInfo } from '../pki/index.js';
import type { KeyObject } from 'node:crypto';

/** Certificates from a PEM bundle (one or more) or a single DER file. */
export async function readCertificates(path: string): Promise<CertificateInfo[]> {
  const bytes = await readFileBytes(path, 4 * 1024 * 1024);
  try {
    if (looksLikePem(bytes)) {
      const ders = pemCertificates(Buffer.from(bytes).toString('latin1'));
      if (ders.length === 0) throw new EmulatorError('PKI_BAD_CERTIFICATE', 'no CERTIFICATE block in the PEM file');
      return ders.map((d) => parseCertificate(d));
    }
    return [parseCertificate(bytes)];
  } catch (e) {
    if (e instanceof EmulatorError) throw new EmulatorError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

export async function readCertificate(path: string): Promise<CertificateInfo> {
  return (await readCertificates(path))[0]!;
}

export async function readKey(path: string): Promise<KeyObject> {
  const bytes = await readFileBytes(path, 1024 * 1024);
  try {
    return readPrivateKey(bytes);
  } catch (e) {
    if (e instanceof EmulatorError) throw new EmulatorError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
