import { createHash } from 'node:crypto';
import { toHex } from '../bytes/index.js';
import { PHONE_ITL_SIZE_LIMIT } from './constants.js';
import { ipv4String } from './build.js';
import { containerLengthsOf } from './header.js';
import type { Dialect, HeaderLayout, TrustList } from './model.js';
import { digestName, HeaderTag, roleName, type DigestName } from './tags.js';
import type { VerifyResult } from './verify.js';

/**
 * The structure `trustlab itl dump --json` prints: what a file says, in plain JSON types
 * (hex strings, ISO dates), plus the verification outcome and warnings.
 */
export interface TrustListSummary {
  kind: 'ITL' | 'CTL';
  size: number;
  md5: string;
  sha1: string;
  version: string;
  headerLength: number;
  dialect: Dialect | 'other';
  signerVersion: string | null;
  filename: string;
  timestamp: string;
  digest: DigestName | null;
  digestId: number;
  signatureAlgorithm: number;
  modulusCode: number;
  signatureLength: number;
  signer: { name: string; serial: string; issuer: string };
  records: RecordSummary[];
  verification: (Pick<VerifyResult, 'valid' | 'reason' | 'message'> & { signerRecord: number | null }) | null;
  warnings: string[];
}

export interface RecordSummary {
  index: number;
  role: string;
  roleCode: number;
  subject: string | null;
  issuer: string | null;
  serial: string | null;
  dnsName: string | null;
  ipAddress: string | null;
  publicKeyLength: number | null;
  certificateSha256: string | null;
  certificateSha1: string | null;
  signedThisFile: boolean;
}

const CERTUTILS_HEADER = [1, 2, 28, 3, 4, 6, 5, 7, 8, 9, 10, 11, 12, 14, 15];
const CUCM_HEADER = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15];

/** Which dialect a decoded header follows (padding ignored). */
export function detectDialect(layout: HeaderLayout | undefined): Dialect | 'other' {
  if (!layout) return 'cucm';
  const tags = layout.order.filter((t) => t !== HeaderTag.Padding).join(',');
  if (tags === CUCM_HEADER.join(',')) return 'cucm';
  if (tags === CERTUTILS_HEADER.join(',')) return 'certutils';
  return 'other';
}

/** ITL or CTL, from tag 14 (the per-MAC names still carry the generic file name). */
export function kindOf(list: TrustList): 'ITL' | 'CTL' {
  return /^CTL/i.test(list.header.filename) ? 'CTL' : 'ITL';
}

function hash(alg: string, b: Uint8Array): string {
  return createHash(alg).update(b).digest('hex');
}

export function summarize(list: TrustList, bytes: Uint8Array, verification: VerifyResult | null): TrustListSummary {
  const h = list.header;
  const signerRecord = verification?.valid ? (verification.signer?.record ?? null) : null;
  const warnings: string[] = [];
  const hl = list.layout?.header;
  if (hl) {
    const actualLengths = containerLengthsOf(h);
    for (const [tag, declared] of Object.entries(hl.containers)) {
      const actual = actualLengths[Number(tag) as 3 | 7 | 9];
      if (declared !== actual) {
        warnings.push(`container tag ${tag} declares ${declared} bytes but its nested elements take ${actual}`);
      }
    }
  }
  if (bytes.length > PHONE_ITL_SIZE_LIMIT) warnings.push(`file is ${bytes.length} bytes; phones fail to load trust lists over 64 KB`);
  return {
    kind: kindOf(list),
    size: bytes.length,
    md5: hash('md5', bytes),
    sha1: hash('sha1', bytes),
    version: `${h.version.major}.${h.version.minor}`,
    headerLength: h.headerLength,
    dialect: detectDialect(list.layout?.header),
    signerVersion: h.signerVersion ? `${h.signerVersion.major}.${h.signerVersion.minor}` : null,
    filename: h.filename,
    timestamp: new Date(h.timestamp * 1000).toISOString(),
    digest: digestName(h.digest) ?? null,
    digestId: h.digest,
    signatureAlgorithm: h.signatureAlgorithm,
    modulusCode: h.modulusCode,
    signatureLength: h.signature.length,
    signer: { name: h.signerName, serial: toHex(h.signerSerial), issuer: h.signerIssuer },
    records: list.records.map((r, i) => ({
      index: i + 1,
      role: roleName(r.role),
      roleCode: r.role,
      subject: r.subject ?? null,
      issuer: r.issuer ?? null,
      serial: r.serial ? toHex(r.serial) : null,
      dnsName: r.dnsName ?? null,
      ipAddress: r.ipAddress ? ipv4String(r.ipAddress) : null,
      publicKeyLength: r.publicKey?.length ?? null,
      certificateSha256: r.certificate ? hash('sha256', r.certificate) : null,
      certificateSha1: r.certificate ? hash('sha1', r.certificate) : null,
      signedThisFile: signerRecord === i,
    })),
    verification: verification
      ? { valid: verification.valid, reason: verification.reason, message: verification.message, signerRecord: signerRecord === null ? null : signerRecord + 1 }
      : null,
    warnings,
  };
}
