import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extensions } from '@peculiar/asn1-x509';
import { EmulatorError } from '../shared/errors.js';
import { parseExtensions, type CertificateExtensions } from './extensions.js';
import { buildExtensions, cryptoPrivateKey, cryptoPublicKey, dnJson, loadX509, x509SigningAlgorithm, type DnSpec, type ExtensionSpec } from './issue.js';
import type { HashName, KeyPair } from './keys.js';
import { cucmName, dnPairs, type DnPairs } from './names.js';
import { toPem } from './certificate.js';

/**
 * PKCS#10 certificate signing requests (RFC 2986) with `@peculiar/x509`: what CUCM's
 * "Generate CSR" produces (certificate chapter, Table 5) and what the enterprise CA signs.
 * Requested extensions travel in the `extensionRequest` attribute (PKCS#9, 1.2.840.113549.1.9.14).
 */
export interface CsrOptions extends ExtensionSpec {
  subject: DnSpec;
  keys: KeyPair;
  hash?: HashName;
}

export interface CsrInfo {
  der: Uint8Array;
  pem: string;
  subject: DnPairs;
  subjectCucm: string;
  publicKey: KeyObject;
  extensions: CertificateExtensions;
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export async function createCsr(o: CsrOptions): Promise<CsrInfo> {
  const x509 = await loadX509();
  const hash = o.hash ?? 'SHA-256';
  const publicKey = await cryptoPublicKey(o.keys.publicKey, hash);
  const privateKey = await cryptoPrivateKey(o.keys.privateKey, hash);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: dnJson(o.subject),
    keys: { publicKey, privateKey } as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: x509SigningAlgorithm(o.keys.privateKey, hash),
    extensions: (await buildExtensions(x509, o, publicKey)).filter((e) => e.type !== '2.5.29.14'),
  });
  return parseCsr(new Uint8Array(csr.rawData));
}

/** Parses a CSR from PEM or DER. Throws `PKI_BAD_CSR`. */
export function parseCsr(input: Uint8Array | string): CsrInfo {
  let der: Uint8Array;
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(text);
  if (m) der = new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  else if (typeof input !== 'string') der = input;
  else throw new EmulatorError('PKI_BAD_CSR', 'no PEM CERTIFICATE REQUEST block found');
  try {
    const req = AsnConvert.parse(der, CertificationRequest);
    const info = req.certificationRequestInfo;
    const subject = dnPairs(info.subject);
    const spki = AsnConvert.serialize(info.subjectPKInfo);
    let extensions: CertificateExtensions = parseExtensions(undefined);
    for (const a of info.attributes) {
      if (a.type === EXTENSION_REQUEST && a.values[0]) extensions = parseExtensions(AsnConvert.parse(a.values[0], Extensions));
    }
    return {
      der,
      pem: toPem(der, 'CERTIFICATE REQUEST'),
      subject,
      subjectCucm: cucmName(subject),
      publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
      extensions,
    };
  } catch (cause) {
    throw new EmulatorError('PKI_BAD_CSR', `not a PKCS#10 certificate request: ${(cause as Error).message}`, { cause });
  }
}
