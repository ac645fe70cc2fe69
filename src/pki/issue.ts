import { randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { NAME_OIDS } from './names.js';
import { parseCertificate, type CertificateInfo } from './certificate.js';
import type { HashName, KeyPair } from './keys.js';
import type { KeyUsageName } from './extensions.js';

/**
 * Certificate issuance with `@peculiar/x509` (structure) over WebCrypto keys imported from
 * native `node:crypto`.
 */

/** DN attributes in the order they should appear in the certificate. */
export type DnSpec = ReadonlyArray<readonly [keyof typeof NAME_OIDS, string]>;

export interface ExtensionSpec {
  ca?: { pathLength?: number };
  /** Key usage as flags (x509 `KeyUsageFlags`) or names. */
  keyUsage?: X509.KeyUsageFlags | readonly KeyUsageName[];
  extendedKeyUsage?: readonly string[];
  dnsNames?: readonly string[];
  uris?: readonly string[];
  /** Authority Information Access: OCSP responder URLs (RFC 5280 §4.2.2.1). */
  ocspUrls?: readonly string[];
  /** CRL Distribution Points, as full-name URIs (RFC 5280 §4.2.1.13). */
  crlUrls?: readonly string[];
  /** id-pkix-ocsp-nocheck: a delegated OCSP responder's own certificate is not checked (RFC 6960 §4.2.2.2.1). */
  ocspNoCheck?: boolean;
}

export interface IssueOptions extends ExtensionSpec {
  subject: DnSpec;
  /** The subject's key pair (the public half goes into the certificate; self-signing uses the private half). */
  keys: KeyPair;
  /** Issuer certificate and key; omitted for a self-signed certificate. */
  issuer?: { certificate: CertificateInfo; keys: KeyPair };
  notBefore: Date;
  notAfter: Date;
  hash?: HashName;
  /** Serial magnitude; random 16 bytes (positive) when omitted. */
  serial?: Uint8Array;
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

const KU_FLAGS: Record<KeyUsageName, number> = {
  digitalSignature: 1, nonRepudiation: 2, keyEncipherment: 4, dataEncipherment: 8, keyAgreement: 16,
  keyCertSign: 32, cRLSign: 64, encipherOnly: 128, decipherOnly: 256,
};

export function keyUsageFlags(ku: X509.KeyUsageFlags | readonly KeyUsageName[]): number {
  return typeof ku === 'number' ? ku : ku.reduce((n, k) => n | KU_FLAGS[k], 0);
}

/** WebCrypto form of a node private key, for signing with @peculiar/x509. */
export async function cryptoPrivateKey(key: KeyObject, hash: HashName): Promise<webcrypto.CryptoKey> {
  return memo(privateKeys, key, hash, () => webcrypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), importAlgorithm(key, hash), false, ['sign']));
}

/**
 * WebCrypto imports cost about as much as a signature; a CA signs thousands of MICs and LSCs
 * with one key, so imported keys are kept per KeyObject and hash (dropped with the KeyObject).
 */
const privateKeys = new WeakMap<KeyObject, Map<string, Promise<webcrypto.CryptoKey>>>();
const publicKeys = new WeakMap<KeyObject, Map<string, Promise<webcrypto.CryptoKey>>>();

function memo(cache: WeakMap<KeyObject, Map<string, Promise<webcrypto.CryptoKey>>>, key: KeyObject, hash: HashName, make: () => Promise<webcrypto.CryptoKey>): Promise<webcrypto.CryptoKey> {
  let byHash = cache.get(key);
  if (!byHash) cache.set(key, (byHash = new Map()));
  let p = byHash.get(hash);
  if (!p) {
    p = make();
    byHash.set(hash, p);
    p.catch(() => byHash.delete(hash));
  }
  return p;
}

/** WebCrypto import parameters for any RSA or EC key (no size restriction: trust uploads may carry 8192-bit keys). */
function importAlgorithm(key: KeyObject, hash: HashName): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return { name: 'ECDSA', namedCurve: curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : 'P-256' };
}

/** WebCrypto form of a node public key. */
export async function cryptoPublicKey(key: KeyObject, hash: HashName): Promise<webcrypto.CryptoKey> {
  return memo(publicKeys, key, hash, () => webcrypto.subtle.importKey('spki', key.export({ type: 'spki', format: 'der' }), importAlgorithm(key, hash), true, ['verify']));
}

/** The algorithm @peculiar/x509 signs with for a key of this type. */
export function x509SigningAlgorithm(key: KeyObject, hash: HashName): { name: string; hash: HashName } {
  return key.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash } : { name: 'ECDSA', hash };
}

/** Builds the extension objects for a certificate or CSR. */
export async function buildExtensions(x509: typeof X509, o: ExtensionSpec, subjectKey: webcrypto.CryptoKey, issuerKey?: webcrypto.CryptoKey): Promise<X509.Extension[]> {
  const out: X509.Extension[] = [];
  if (o.ca) out.push(new x509.BasicConstraintsExtension(true, o.ca.pathLength, true));
  if (o.keyUsage !== undefined) out.push(new x509.KeyUsagesExtension(keyUsageFlags(o.keyUsage), true));
  if (o.extendedKeyUsage?.length) out.push(new x509.ExtendedKeyUsageExtension([...o.extendedKeyUsage], false));
  const altNames: X509.JsonGeneralNames = [
    ...(o.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  if (altNames.length) out.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  if (o.ocspUrls?.length) out.push(new x509.AuthorityInfoAccessExtension({ ocsp: o.ocspUrls.map((value) => new x509.GeneralName('url', value)) }, false));
  if (o.crlUrls?.length) out.push(new x509.CRLDistributionPointsExtension([...o.crlUrls], false));
  if (o.ocspNoCheck) out.push(new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, new Uint8Array([0x05, 0x00])));
  out.push(await x509.SubjectKeyIdentifierExtension.create(subjectKey as unknown as CryptoKeyLike, false));
  if (issuerKey) out.push(await x509.AuthorityKeyIdentifierExtension.create(issuerKey as unknown as CryptoKeyLike, false));
  return out;
}

type CryptoKeyLike = Parameters<typeof X509.SubjectKeyIdentifierExtension.create>[0];

/** Issues (or self-signs) a certificate and returns it parsed. */
export async function issueCertificate(o: IssueOptions): Promise<CertificateInfo> {
  return signCertificate({ ...o, publicKey: o.keys.publicKey, signer: o.issuer ? { certificate: o.issuer.certificate, privateKey: o.issuer.keys.privateKey } : { privateKey: o.keys.privateKey } });
}

export interface SignOptions extends ExtensionSpec {
  subject: DnSpec | X509.Name;
  publicKey: KeyObject;
  /** The signing key, and the issuer certificate unless self-signed. */
  signer: { privateKey: KeyObject; certificate?: CertificateInfo };
  notBefore: Date;
  notAfter: Date;
  hash?: HashName;
  serial?: Uint8Array;
}

/** Signs a certificate for any public key (used for self-signed certificates and CSRs alike). */
export async function signCertificate(o: SignOptions): Promise<CertificateInfo> {
  const x509 = await loadX509();
  const hash = o.hash ?? 'SHA-256';
  const subjectKey = await cryptoPublicKey(o.publicKey, hash);
  const signingKey = await cryptoPrivateKey(o.signer.privateKey, hash);
  const issuerCert = o.signer.certificate;
  const issuerPub = issuerCert ? await cryptoPublicKey(issuerCert.publicKey, hash) : undefined;
  const subject = Array.isArray(o.subject) ? dnJson(o.subject as DnSpec) : (o.subject as X509.Name);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(o.serial ?? positiveSerial()).toString('hex'),
    subject,
    issuer: issuerCert ? issuerName(x509, issuerCert) : subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: x509SigningAlgorithm(o.signer.privateKey, hash),
    publicKey: subjectKey as unknown as CryptoKeyLike,
    signingKey: signingKey as unknown as CryptoKeyLike,
    extensions: await buildExtensions(x509, o, subjectKey, issuerPub),
  });
  return parseCertificate(new Uint8Array(cert.rawData));
}

const issuerNames = new WeakMap<CertificateInfo, X509.Name>();

/** The issuer's subject as @peculiar/x509 holds it, parsed once per issuer certificate. */
function issuerName(x509: typeof X509, issuer: CertificateInfo): X509.Name {
  let n = issuerNames.get(issuer);
  if (!n) issuerNames.set(issuer, (n = new x509.X509Certificate(issuer.der).subjectName));
  return n;
}

/** 16 random bytes with the top bit clear and a non-zero first byte, as CAs mint serials. */
export function positiveSerial(random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): Uint8Array {
  const b = random(16);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return b;
}
