import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { EmulatorError } from '../shared/errors.js';
import { parseCertificate, toPem, type CertificateInfo } from './certificate.js';
import { EKU } from './extensions.js';
import { positiveSerial, signCertificate, type DnSpec } from './issue.js';
import { buildDerLeaf } from './der-leaf.js';
import type { HashName, KeyPair, KeySpec } from './keys.js';
import { specOf } from './keys.js';
import type { KeyPool } from './key-pool.js';
import type { CsrInfo } from './csr.js';

/**
 * Emulated certificate authorities.
 *
 * - The Cisco manufacturing hierarchy that issues phones' MICs, with the roots CUCM ships in
 *   CallManager-trust and CAPF-trust (certificate chapter, "Phone Certificate Types"; names as in
 *   the chapter's list): Cisco_Root_CA_2048 → Cisco_Manufacturing_CA and ACT2_SUDI_CA,
 *   Cisco_Root_CA_M2 → Cisco_Manufacturing_CA_SHA2, and the old CAP-RTP-001/CAP-RTP-002 roots
 *   that issued 79xx MICs directly. Every certificate says `OU=trustlab emulation` so nobody
 *   mistakes it for Cisco's.
 * - An enterprise ("third-party") CA with a root and an issuing intermediate, which signs CSRs
 *   for the CA-signed cases.
 */

export type ManufacturingCaName = 'Cisco_Root_CA_2048' | 'Cisco_Manufacturing_CA' | 'ACT2_SUDI_CA' | 'Cisco_Root_CA_M2' | 'Cisco_Manufacturing_CA_SHA2' | 'CAP-RTP-001' | 'CAP-RTP-002';

interface CaSpec {
  name: string;
  cn: string;
  parent?: string;
  key: KeySpec;
  hash: HashName;
  years: number;
}

/** The hierarchy, parents first. CNs are the real ones; file names use the chapter's spelling. */
export const MANUFACTURING_CAS: readonly CaSpec[] = [
  { name: 'Cisco_Root_CA_2048', cn: 'Cisco Root CA 2048', key: { type: 'rsa', bits: 2048 }, hash: 'SHA-1', years: 25 },
  { name: 'Cisco_Manufacturing_CA', cn: 'Cisco Manufacturing CA', parent: 'Cisco_Root_CA_2048', key: { type: 'rsa', bits: 2048 }, hash: 'SHA-1', years: 20 },
  { name: 'ACT2_SUDI_CA', cn: 'ACT2 SUDI CA', parent: 'Cisco_Root_CA_2048', key: { type: 'rsa', bits: 2048 }, hash: 'SHA-256', years: 20 },
  { name: 'Cisco_Root_CA_M2', cn: 'Cisco Root CA M2', key: { type: 'rsa', bits: 4096 }, hash: 'SHA-256', years: 25 },
  { name: 'Cisco_Manufacturing_CA_SHA2', cn: 'Cisco Manufacturing CA SHA2', parent: 'Cisco_Root_CA_M2', key: { type: 'rsa', bits: 2048 }, hash: 'SHA-256', years: 20 },
  { name: 'CAP-RTP-001', cn: 'CAP-RTP-001', key: { type: 'rsa', bits: 2048 }, hash: 'SHA-1', years: 25 },
  { name: 'CAP-RTP-002', cn: 'CAP-RTP-002', key: { type: 'rsa', bits: 2048 }, hash: 'SHA-1', years: 25 },
];

/** The roots a fresh CUCM carries in CallManager-trust and CAPF-trust. */
export const MANUFACTURING_ROOTS: readonly ManufacturingCaName[] = ['Cisco_Root_CA_2048', 'Cisco_Root_CA_M2', 'CAP-RTP-001', 'CAP-RTP-002'];
/** All manufacturing certificates CUCM ships as trust (roots and intermediates, by chapter name). */
export const MANUFACTURING_TRUST: readonly ManufacturingCaName[] = ['Cisco_Root_CA_2048', 'Cisco_Manufacturing_CA', 'Cisco_Manufacturing_CA_SHA2', 'Cisco_Root_CA_M2', 'ACT2_SUDI_CA', 'CAP-RTP-001', 'CAP-RTP-002'];

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** A CA as stored in the lab: PEMs only, so it serialises to JSON. */
export interface StoredCa {
  name: string;
  certPem: string;
  keyPem: string;
  parent?: string;
}

export class CertificateAuthority {
  readonly certificate: CertificateInfo;
  readonly keys: KeyPair;

  constructor(readonly name: string, certificate: CertificateInfo, keys: KeyPair, readonly parent?: CertificateAuthority) {
    this.certificate = certificate;
    this.keys = keys;
  }

  static fromStored(s: StoredCa, parent?: CertificateAuthority): CertificateAuthority {
    const privateKey = createPrivateKey(s.keyPem);
    return new CertificateAuthority(s.name, parseCertificate(s.certPem), { spec: specOf(privateKey), privateKey, publicKey: createPublicKey(privateKey) }, parent);
  }

  toStored(): StoredCa {
    return {
      name: this.name,
      certPem: toPem(this.certificate.der),
      keyPem: this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      ...(this.parent ? { parent: this.parent.name } : {}),
    };
  }

  /** This CA's chain up to its root (this CA first). */
  chain(): CertificateInfo[] {
    return [this.certificate, ...(this.parent?.chain() ?? [])];
  }
}

async function makeCa(spec: CaSpec, pool: KeyPool, now: Date, parent: CertificateAuthority | undefined, org: DnSpec): Promise<CertificateAuthority> {
  const keys = await pool.take(spec.key, 'identity');
  const notBefore = new Date(now.getTime() - 2 * YEAR_MS);
  const cert = await signCertificate({
    subject: [...org, ['CN', spec.cn]],
    publicKey: keys.publicKey,
    signer: parent ? { privateKey: parent.keys.privateKey, certificate: parent.certificate } : { privateKey: keys.privateKey },
    notBefore,
    notAfter: new Date(notBefore.getTime() + spec.years * YEAR_MS),
    hash: spec.hash,
    ca: parent ? { pathLength: 0 } : {},
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  });
  return new CertificateAuthority(spec.name, cert, keys, parent);
}

const CISCO_ORG: DnSpec = [['O', 'Cisco Systems'], ['OU', 'trustlab emulation']];

/** Creates the whole manufacturing hierarchy. */
export async function createManufacturingCas(pool: KeyPool, now: Date): Promise<Map<string, CertificateAuthority>> {
  const out = new Map<string, CertificateAuthority>();
  for (const spec of MANUFACTURING_CAS) {
    const parent = spec.parent ? out.get(spec.parent) : undefined;
    out.set(spec.name, await makeCa(spec, pool, now, parent, CISCO_ORG));
  }
  return out;
}

/** Creates an enterprise CA: a root and an issuing intermediate under it. */
export async function createEnterpriseCa(pool: KeyPool, now: Date, name = 'trustlab Enterprise'): Promise<{ root: CertificateAuthority; issuing: CertificateAuthority }> {
  const org: DnSpec = [['C', 'US'], ['O', name], ['OU', 'trustlab emulation']];
  const root = await makeCa({ name: `${name.replace(/\s+/g, '_')}_Root_CA`, cn: `${name} Root CA`, key: { type: 'rsa', bits: 2048 }, hash: 'SHA-256', years: 20 }, pool, now, undefined, org);
  const issuing = await makeCa({ name: `${name.replace(/\s+/g, '_')}_Issuing_CA`, cn: `${name} Issuing CA`, parent: root.name, key: { type: 'rsa', bits: 2048 }, hash: 'SHA-256', years: 10 }, pool, now, root, org);
  return { root, issuing };
}

export interface MicOptions {
  /** Phone model as the MIC names it, e.g. `CP-8861`. */
  model: string;
  mac: string;
  keys: KeyPair;
  /** Manufacture date; the MIC is valid for 10 years from it (phone-behaviour.md CAPF-6). */
  manufactured: Date;
  serial?: Uint8Array;
}

/** Issues a phone's Manufacture Installed Certificate. */
export async function issueMic(ca: CertificateAuthority, o: MicOptions): Promise<CertificateInfo> {
  return parseCertificate(await issueMicDer(ca, o));
}

/**
 * The MIC as DER, built by the direct encoder (der-leaf.ts) because a fleet makes thousands:
 * O/OU/CN `<model>-SEP<MAC>`, ten years from manufacture, keyUsage digitalSignature and
 * keyEncipherment (critical), EKU clientAuth, SKI and AKI; SHA-1 under a SHA-1 CA (the 2048
 * hierarchy), else SHA-256.
 */
export async function issueMicDer(ca: CertificateAuthority, o: MicOptions): Promise<Uint8Array> {
  const mac = o.mac.toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(mac)) throw new EmulatorError('INVALID_ARGUMENT', `MAC "${o.mac}" must be 12 hex digits`);
  return buildDerLeaf({
    issuerDer: ca.certificate.der,
    issuerKey: ca.keys.privateKey,
    hash: ca.certificate.signatureHash === 'SHA-1' ? 'SHA-1' : 'SHA-256',
    subject: [['O', 'Cisco Systems Inc.'], ['OU', 'trustlab emulation'], ['CN', `${o.model}-SEP${mac}`]],
    spki: spkiOf(o.keys.publicKey),
    serial: o.serial ?? positiveSerial(),
    notBefore: o.manufactured,
    notAfter: new Date(o.manufactured.getTime() + 10 * YEAR_MS),
    keyUsageBits: 0x80 | 0x20,
    extendedKeyUsage: [EKU.clientAuth],
  });
}

const spkis = new WeakMap<KeyObject, Uint8Array>();

function spkiOf(key: KeyObject): Uint8Array {
  let d = spkis.get(key);
  if (!d) spkis.set(key, (d = new Uint8Array(key.export({ type: 'spki', format: 'der' }))));
  return d;
}

export interface SignCsrOptions {
  now: Date;
  years?: number;
  /** Drop these key usages from the issued certificate (a CA template that strips bits). */
  dropKeyUsage?: readonly string[];
  serial?: Uint8Array;
  /** Where the CA publishes revocation: AIA OCSP and CRL Distribution Point URLs. */
  ocspUrls?: readonly string[];
  crlUrls?: readonly string[];
}

/** Signs a CSR, copying the extensions it requests (as an enterprise CA template would). */
export async function signCsr(ca: CertificateAuthority, csr: CsrInfo, o: SignCsrOptions): Promise<CertificateInfo> {
  const e = csr.extensions;
  const ku = (e.keyUsage ?? []).filter((k) => !(o.dropKeyUsage ?? []).includes(k));
  return signCertificate({
    subject: csr.subject.map(([k, v]) => [k as 'CN', v] as const),
    publicKey: csr.publicKey,
    signer: { privateKey: ca.keys.privateKey, certificate: ca.certificate },
    notBefore: o.now,
    notAfter: new Date(o.now.getTime() + (o.years ?? 2) * YEAR_MS),
    hash: 'SHA-256',
    ...(ku.length ? { keyUsage: ku } : {}),
    ...(e.extendedKeyUsage?.length ? { extendedKeyUsage: e.extendedKeyUsage } : {}),
    ...(e.dnsNames.length ? { dnsNames: e.dnsNames } : {}),
    ...(e.basicConstraints?.ca ? { ca: e.basicConstraints.pathLength === null ? {} : { pathLength: e.basicConstraints.pathLength } } : {}),
    ...(o.serial ? { serial: o.serial } : {}),
    ...(o.ocspUrls?.length ? { ocspUrls: o.ocspUrls } : {}),
    ...(o.crlUrls?.length ? { crlUrls: o.crlUrls } : {}),
  });
}
