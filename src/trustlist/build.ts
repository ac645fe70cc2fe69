import type { KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { CertificateInfo } from '../pki/index.js';
import { certutilsName } from '../pki/index.js';
import { EmulatorError } from '../shared/errors.js';
import { CUCM_HEADER_VERSION } from './constants.js';
import { encodeTrustListWithOffsets } from './list.js';
import type { Dialect, TrustList, TrustListHeader, TrustListRecord, Version } from './model.js';
import { signatureShape, signInPlace, type Signer } from './sign.js';
import { digestId, digestName, SIGNATURE_ALGORITHM_RSA, WRITABLE_DIGESTS, type DigestName, type RoleCode } from './tags.js';

/**
 * Builds signed ITL/CTL files from certificates, the way CUCM's TFTP service does
 * (formats.md §1.9): header 1, 2, 3{4, 5, 6}, 7{8, 9{10, 11}}, 12, 14, 15, padding; records
 * with tags 1–10 in order; names in `CN=..;OU=..;O=..;L=..;ST=..;C=..` form.
 */

/** One record to put in a list: a certificate with a role, or a certificate-less placeholder. */
export interface RecordSpec {
  role: RoleCode;
  certificate?: CertificateInfo;
  /** Host name (CUCM writes the short name, or the IP as text when there is no DNS). */
  dnsName?: string;
  /** Dotted IPv4 address. */
  ipAddress?: string;
}

export interface BuildOptions {
  signer: Signer;
  records: readonly RecordSpec[];
  /** Unix seconds for tag 15; callers pass their injected clock's time. */
  timestamp: number;
  digest?: DigestName;
  filename?: string;
  dialect?: Dialect;
  version?: Version;
  /** Tag 28; certutils writes 1.0 (1.1 turns on EC features in phones). CUCM never writes it. */
  signerVersion?: Version;
}

/** Parses a dotted IPv4 address into the 4 bytes of record tag 10. */
export function ipv4Bytes(ip: string): Uint8Array {
  if (!isIPv4(ip)) throw new EmulatorError('INVALID_ARGUMENT', `"${ip}" is not a dotted IPv4 address`);
  return Uint8Array.from(ip.split('.').map(Number));
}

export function ipv4String(b: Uint8Array): string {
  return b.length === 4 ? [...b].join('.') : Buffer.from(b).toString('hex');
}

function nameOf(c: CertificateInfo, which: 'subject' | 'issuer', dialect: Dialect): string {
  if (dialect === 'certutils') return certutilsName(c[which]);
  return which === 'subject' ? c.subjectCucm : c.issuerCucm;
}

/** The record CUCM writes for a certificate (or a placeholder when there is none). */
export function recordFor(spec: RecordSpec, dialect: Dialect = 'cucm'): TrustListRecord {
  const rec: TrustListRecord = { role: spec.role };
  if (spec.dnsName !== undefined) rec.dnsName = spec.dnsName;
  const c = spec.certificate;
  if (c) {
    rec.subject = nameOf(c, 'subject', dialect);
    rec.issuer = nameOf(c, 'issuer', dialect);
    rec.serial = c.serial;
    rec.publicKey = c.publicKeyBits;
    rec.signature = c.signatureValue;
    rec.certificate = c.der;
  }
  if (spec.ipAddress !== undefined) rec.ipAddress = ipv4Bytes(spec.ipAddress);
  return rec;
}

/** The unsigned header for a signer (signature zero-filled to the key's length). */
export function headerFor(o: Omit<BuildOptions, 'records'>, defaultFilename: string): TrustListHeader {
  const digest = o.digest ?? 'sha1';
  if (!WRITABLE_DIGESTS.includes(digest)) {
    throw new EmulatorError('TRUSTLIST_UNSUPPORTED_DIGEST', `digest ${digest} is not written by CUCM or certutils; use sha1 or sha512`);
  }
  if (!Number.isInteger(o.timestamp) || o.timestamp < 0 || o.timestamp > 0xffffffff) {
    throw new EmulatorError('INVALID_ARGUMENT', `timestamp ${o.timestamp} is not a u32 of Unix seconds`);
  }
  const shape = signatureShape(o.signer);
  const dialect = o.dialect ?? 'cucm';
  const c = o.signer.certificate;
  return {
    version: o.version ?? CUCM_HEADER_VERSION,
    headerLength: 0,
    ...(o.signerVersion ? { signerVersion: o.signerVersion } : dialect === 'certutils' ? { signerVersion: { major: 1, minor: 0 } } : {}),
    signerName: nameOf(c, 'subject', dialect),
    signerSerial: c.serial,
    signerIssuer: nameOf(c, 'issuer', dialect),
    digest: digestId(digest),
    signatureAlgorithm: SIGNATURE_ALGORITHM_RSA,
    modulusCode: shape.modulusCode,
    signature: new Uint8Array(shape.length),
    filename: o.filename ?? defaultFilename,
    timestamp: o.timestamp,
  };
}

/**
 * Encodes `list` as it stands and signs it with `privateKey`, whatever the header claims about
 * the signer: the low-level step fuzzers and tests use to make files whose header and key
 * disagree. The signature is sized to the key; the digest is the header's (it must be known).
 */
export function signTrustList(list: TrustList, privateKey: KeyObject): Uint8Array {
  const digest = digestName(list.header.digest);
  if (!digest) throw new EmulatorError('TRUSTLIST_UNSUPPORTED_DIGEST', `cannot sign with digest id ${list.header.digest}`);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (privateKey.asymmetricKeyType !== 'rsa' || !bits) throw new EmulatorError('TRUSTLIST_UNSUPPORTED_SIGNER_KEY', 'trust lists are signed with RSA keys only');
  const header = { ...list.header, signature: new Uint8Array(bits / 8) };
  const enc = encodeTrustListWithOffsets({ ...list, header });
  return signInPlace(enc, bits / 8, privateKey, digest);
}

/** Builds and signs an ITL or CTL file. */
export function buildTrustList(o: BuildOptions): Uint8Array {
  const dialect = o.dialect ?? 'cucm';
  const header = headerFor(o, 'ITLFile.tlv');
  const records = o.records.map((r) => recordFor(r, dialect));
  const enc = encodeTrustListWithOffsets({ header, records, dialect });
  return signInPlace(enc, header.signature.length, o.signer.privateKey, o.digest ?? 'sha1');
}
