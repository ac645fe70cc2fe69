import { randomBytes, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { NAME_OIDS } from './names.js';
import { parseCertificate, type CertificateInfo } from './certificate.js';
import { toCryptoKeys, type HashName, type KeyPair } from './keys.js';

/**
 * Certificate issuance with `@peculiar/x509` (structure) over WebCrypto keys imported from
 * native `node:crypto`. Callers must have loaded `reflect-metadata` before `@peculiar/x509`
 * (the CLI entry and the vitest setup do).
 */

/** DN attributes in the order they should appear in the certificate. */
export type DnSpec = ReadonlyArray<readonly [keyof typeof NAME_OIDS, string]>;

export interface IssueOptions {
  subject: DnSpec;
  keys: KeyPair;
  /** Issuer certificate and key; omitted for a self-signed certificate. */
  issuer?: { certificate: CertificateInfo; keys: KeyPair };
  notBefore: Date;
  notAfter: Date;
  hash?: HashName;
  /** Serial magnitude; random 16 bytes (positive) when omitted. */
  serial?: Uint8Array;
  ca?: { pathLength?: number };
  keyUsage?: X509.KeyUsageFlags;
  extendedKeyUsage?: string[];
  dnsNames?: string[];
  uris?: string[];
}

let lib: Promise<typeof X509> | undefined;

/**
 * Loads `@peculiar/x509` on first use, after the `reflect-metadata` polyfill its tsyringe
 * container needs, and points it at node's WebCrypto. Commands that never issue certificates
 * (`itl verify`, the TFTP server) do not pay the ~200 ms it takes to load.
 */
export function loadX509(): Promise<typeof X509> {
  lib ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return lib;
}

export function dnJson(dn: DnSpec): X509.JsonName {
  return dn.map(([k, v]) => ({ [k]: [v] }));
}

/** Issues (or self-signs) a certificate and returns it parsed. */
export async function issueCertificate(o: IssueOptions): Promise<CertificateInfo> {
  const x509 = await loadX509();
  const hash = o.hash ?? 'SHA-256';
  const signer = o.issuer?.keys ?? o.keys;
  const signerKeys = await toCryptoKeys(signer, hash);
  const subjectKeys = o.issuer ? await toCryptoKeys(o.keys, hash) : signerKeys;
  const serial = o.serial ?? positiveSerial();
  const extensions: X509.Extension[] = [];
  if (o.ca) extensions.push(new x509.BasicConstraintsExtension(true, o.ca.pathLength, true));
  if (o.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(o.keyUsage, true));
  if (o.extendedKeyUsage?.length) extensions.push(new x509.ExtendedKeyUsageExtension(o.extendedKeyUsage, false));
  const altNames: X509.JsonGeneralNames = [
    ...(o.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  if (altNames.length) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(subjectKeys.publicKey, false));
  if (o.issuer) {
    const issuerPub = await toCryptoKeys(o.issuer.keys, hash);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerPub.publicKey, false));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(serial).toString('hex'),
    subject: dnJson(o.subject),
    issuer: o.issuer ? new x509.X509Certificate(o.issuer.certificate.der).subjectName : dnJson(o.subject),
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: signingAlg(signer, hash),
    publicKey: subjectKeys.publicKey,
    signingKey: signerKeys.privateKey,
    extensions,
  });
  return parseCertificate(new Uint8Array(cert.rawData));
}

function signingAlg(k: KeyPair, hash: HashName): { name: string; hash: HashName } {
  return k.spec.type === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash } : { name: 'ECDSA', hash };
}

/** 16 random bytes with the top bit clear and a non-zero first byte, as CAs mint serials. */
export function positiveSerial(): Uint8Array {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return new Uint8Array(b);
}
