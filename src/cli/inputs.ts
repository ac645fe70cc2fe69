import { readFileBytes } from '../shared/fs.js';
import { EmulatorError } from '../shared/errors.js';
import { looksLikePem, parseCertificate, pemCertificates, readPrivateKey, type CertificateInfo } from '../pki/index.js';
import type { KeyObject } from 'node:crypto';

/**
 * Runs `read` on an input file named on the command line; an error it throws names that file
 * (`details.file`, which the CLI reports as the file at fault), so that a bad `--itl` or
 * `--trust` is not blamed on the file being verified (issue 15 §8).
 */
export async function fromFile<T>(path: string, read: () => Promise<T> | T): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof EmulatorError) || e.details['file'] === path) throw e;
    throw new EmulatorError(e.code, e.message.startsWith(path) ? e.message : `${path}: ${e.message}`, { cause: e, details: { ...e.details, file: path } });
  }
}

/** Certificates from a PEM bundle (one or more) or a single DER file. */
export async function readCertificates(path: string): Promise<CertificateInfo[]> {
  return fromFile(path, async () => {
    const bytes = await readFileBytes(path, 4 * 1024 * 1024);
    if (looksLikePem(bytes)) {
      const ders = pemCertificates(Buffer.from(bytes).toString('latin1'));
      if (ders.length === 0) throw new EmulatorError('PKI_BAD_CERTIFICATE', 'no CERTIFICATE block in the PEM file');
      return ders.map((d) => parseCertificate(d));
    }
    return [parseCertificate(bytes)];
  });
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
