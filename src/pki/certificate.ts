import { createHash, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { EmulatorError } from '../shared/errors.js';
import { cucmName, dnPairs, type DnPairs } from './names.js';
import { parseExtensions, type CertificateExtensions } from './extensions.js';

/**
 * A parsed X.509 certificate with the fields the trust-list formats copy out of it
 * (formats.md §1.4: subject, issuer, serial, public key, signatureValue, DER).
 *
 * Structure comes from `@peculiar/asn1-x509`; the public key from native `node:crypto`, which
 * signing and verifying use.
 */
export interface CertificateInfo {
  der: Uint8Array;
  subject: DnPairs;
  issuer: DnPairs;
  /** CUCM-form subject and issuer strings (formats.md §1.6). */
  subjectCucm: string;
  issuerCucm: string;
  /** Serial as unsigned big-endian magnitude (no DER sign byte), as trust lists carry it. */
  serial: Uint8Array;
  /** Lowercase hex of {@link serial}. */
  serialHex: string;
  /** The SubjectPublicKeyInfo bit string: PKCS#1 RSAPublicKey for RSA, an X9.62 point for EC. */
  publicKeyBits: Uint8Array;
  /** The certificate's own signatureValue. */
  signatureValue: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  keyType: 'rsa' | 'ec' | 'other';
  /** RSA modulus bits, or EC curve size in bits. */
  keyBits: number;
  /** EC curve name as node reports it (`prime256v1`, `secp384r1`), if EC. */
  curve?: string;
  publicKey: KeyObject;
  sha1: string;
  sha256: string;
  /** True when subject and issuer are the same name and the certificate verifies itself. */
  selfSigned: boolean;
  extensions: CertificateExtensions;
  /** Signature hash (`SHA-1`, `SHA-256`, …) from the signature algorithm OID, or the OID. */
  signatureHash: string;
  /** The signature algorithm's OID (`1.2.840.113549.1.1.11` is sha256WithRSAEncryption). */
  signatureOid: string;
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle, as DER. */
export function pemCertificates(text: string): Uint8Array[] {
  return [...text.matchAll(PEM_RE)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

/** DER → PEM. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** True when bytes look like PEM text rather than DER (DER starts with a SEQUENCE, 0x30). */
export function looksLikePem(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] !== 0x30 && Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4096))).toString('latin1').includes('-----BEGIN');
}

/** Parses one certificate from PEM or DER bytes. Throws `PKI_BAD_CERTIFICATE`. */
export function parseCertificate(input: Uint8Array | string): CertificateInfo {
  let der: Uint8Array;
  if (typeof input === 'string' || looksLikePem(input)) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    const all = pemCertificates(text);
    if (all.length === 0) throw new EmulatorError('PKI_BAD_CERTIFICATE', 'no PEM CERTIFICATE block found');
    der = all[0]!;
  } else {
    der = input;
  }
  let asn: Certificate;
  let node: NodeX509;
  try {
    asn = AsnConvert.parse(der, Certificate);
    node = new NodeX509(der);
  } catch (cause) {
    throw new EmulatorError('PKI_BAD_CERTIFICATE', `not an X.509 certificate: ${(cause as Error).message}`, { cause });
  }
  const tbs = asn.tbsCertificate;
  const subject = dnPairs(tbs.subject);
  const issuer = dnPairs(tbs.issuer);
  const serial = stripLeadingZeros(new Uint8Array(tbs.serialNumber));
  const publicKey = node.publicKey;
  const details = publicKey.asymmetricKeyDetails ?? {};
  const keyType = publicKey.asymmetricKeyType === 'rsa' ? 'rsa' : publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'other';
  const curve = details.namedCurve;
  return {
    der: new Uint8Array(der),
    subject,
    issuer,
    subjectCucm: cucmName(subject),
    issuerCucm: cucmName(issuer),
    serial,
    serialHex: Buffer.from(serial).toString('hex'),
    publicKeyBits: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
    signatureValue: new Uint8Array(asn.signatureValue),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    keyType,
    keyBits: keyType === 'rsa' ? (details.modulusLength ?? 0) : curveBits(curve),
    ...(curve ? { curve } : {}),
    publicKey,
    sha1: createHash('sha1').update(der).digest('hex'),
    sha256: createHash('sha256').update(der).digest('hex'),
    selfSigned: node.subject === node.issuer && safeVerify(node),
    extensions: parseExtensions(tbs.extensions),
    signatureHash: SIG_HASH[asn.signatureAlgorithm.algorithm] ?? asn.signatureAlgorithm.algorithm,
    signatureOid: asn.signatureAlgorithm.algorithm,
  };
}

function safeVerify(node: NodeX509): boolean {
  try {
    return node.verify(node.publicKey);
  } catch {
    return false;
  }
}

/** Signature algorithm OIDs → hash names (RFC 4055, RFC 5758). */
const SIG_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
};

export function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

function curveBits(curve: string | undefined): number {
  switch (curve) {
    case 'prime256v1': case 'P-256': return 256;
    case 'secp384r1': case 'P-384': return 384;
    case 'secp521r1': case 'P-521': return 521;
    default: return 0;
  }
}
