import { codeNames, codeOf, nameOf, upperJoined, type CodeNames } from '../shared/code-table.js';

/**
 * Tag and code tables of the ITL/CTL/.sgn format, both ways (number ↔ name).
 *
 * Source: `formats.md` §1.3 (header tags, Cisco `show ctl` names), §1.4 (record tags),
 * §1.5 (role codes), §1.3 tag 8 (digest ids) and tag 11 (modulus codes).
 */

/**
 * Header tags. Each element is `tag u8 | length u16be | value`, except
 * {@link HeaderTag.Padding}, which is the single byte 0x0D (formats.md §1.1).
 *
 * ```
 * 1 VERSION  2 HEADERLENGTH  3 SIGNERID{4 SIGNERNAME 5 SERIALNUMBER 6 CANAME}
 * 7 SIGNATUREINFO{8 DIGESTALGORTITHM 9 SIGNATUREALGOINFO{10 SIGNATUREALGORTITHM 11 SIGNATUREMODULUS}}
 * 12 SIGNATURE  13 padding  14 FILENAME  15 TIMESTAMP  28 signer version (certutils only)
 * ```
 */
export const HeaderTag = {
  Version: 1,
  HeaderLength: 2,
  SignerId: 3,
  SignerName: 4,
  SerialNumber: 5,
  CaName: 6,
  SignatureInfo: 7,
  DigestAlgorithm: 8,
  SignatureAlgoInfo: 9,
  SignatureAlgorithm: 10,
  SignatureModulus: 11,
  Signature: 12,
  Padding: 13,
  Filename: 14,
  Timestamp: 15,
  SignerVersion: 28,
} as const;
export type HeaderTag = (typeof HeaderTag)[keyof typeof HeaderTag];

/** Container tags: their length covers the TLVs nested right after them; no value of their own. */
export const CONTAINER_TAGS: ReadonlySet<number> = new Set([HeaderTag.SignerId, HeaderTag.SignatureInfo, HeaderTag.SignatureAlgoInfo]);

/** Cisco `show ctl` spellings of the header tags, typos included (TAC 118893). */
export const HEADER_TAG_NAMES: CodeNames = codeNames(HeaderTag, upperJoined, { DigestAlgorithm: 'DIGESTALGORTITHM', SignatureAlgorithm: 'SIGNATUREALGORTITHM' });

/** Record tags (formats.md §1.4). Tag 1 opens every record; its value counts the whole record. */
export const RecordTag = {
  RecordLength: 1,
  DnsName: 2,
  SubjectName: 3,
  Function: 4,
  IssuerName: 5,
  SerialNumber: 6,
  PublicKey: 7,
  Signature: 8,
  Certificate: 9,
  IpAddress: 10,
  CertificateHash: 11,
  HashAlgorithm: 12,
} as const;
export type RecordTag = (typeof RecordTag)[keyof typeof RecordTag];

/** Cisco `show ctl` spellings of the record tags. */
export const RECORD_TAG_NAMES: CodeNames = codeNames(RecordTag, upperJoined, { CertificateHash: 'CERTHASH' });

/**
 * Record roles ("FUNCTION", tag 4, u16). The same numbers appear in TVS answers
 * (formats.md §4.2) and in CUCM's TYPETRUSTROLEMAP (phone-behaviour.md FMT-2).
 */
export const Role = {
  SAST: 0,
  CCM: 1,
  CCM_TFTP: 2,
  TFTP: 3,
  CAPF: 4,
  SRST: 5,
  APP_SERVER: 7,
  TVS: 21,
} as const;
export type RoleCode = number;

/** Short role names used in `--json`, on the CLI (`--record ROLE=CERT`) and in scenario files. */
export const ROLE_NAMES: CodeNames = codeNames(Role, (k) => k, { CCM_TFTP: 'CCM+TFTP', APP_SERVER: 'APP-SERVER' });

/** The long names Cisco's `show ctl`/`show itl` prints in the FUNCTION row. */
export const ROLE_DISPLAY_NAMES: Readonly<Record<number, string>> = {
  ...ROLE_NAMES,
  0: 'System Administrator Security Token',
};

/** The role's short name, or `ROLE(n)` for a code with no known meaning. */
export function roleName(code: RoleCode): string {
  return nameOf(ROLE_NAMES, code, (c) => `ROLE(${c})`);
}

/** Parses a role name (case-insensitive; `HTTPS` is certutils' old name for APP-SERVER) or a number. */
export function parseRole(name: string): RoleCode | undefined {
  const upper = name.trim().toUpperCase();
  if (/^\d+$/.test(upper)) {
    const n = Number(upper);
    return n <= 0xffff ? n : undefined;
  }
  if (upper === 'HTTPS') return Role.APP_SERVER;
  return codeOf(ROLE_NAMES, upper);
}

/**
 * Digest ids (header tag 8). 1 = SHA-1 (CUCM files), 3 = SHA-512 (certutils since
 * 2021), 2 = SHA-256 (certutils constant, never observed; read but never written).
 */
export const DIGESTS = {
  1: 'sha1',
  2: 'sha256',
  3: 'sha512',
} as const satisfies Record<number, string>;
export type DigestName = (typeof DIGESTS)[keyof typeof DIGESTS];
export type DigestId = keyof typeof DIGESTS;

/** Digests the builders write. SHA-256 is read only: no evidence any phone or CUCM writes id 2. */
export const WRITABLE_DIGESTS: readonly DigestName[] = ['sha1', 'sha512'];

export function digestName(id: number): DigestName | undefined {
  return (DIGESTS as Record<number, DigestName>)[id];
}

export function digestId(name: DigestName): DigestId {
  return name === 'sha1' ? 1 : name === 'sha256' ? 2 : 3;
}

/**
 * Signature-modulus codes (header tag 11) → RSA modulus size in bytes, per certutils:
 * 0 = 512-bit, 1 = 1024, 2 = 2048, 3 = 4096. No code is known for 3072-bit keys
 * (docs/decisions/002-trustlist-keys.md).
 */
export const MODULUS_BYTES: Readonly<Record<number, number>> = { 0: 64, 1: 128, 2: 256, 3: 512 };

export function modulusCodeForBytes(n: number): number | undefined {
  for (const [code, bytes] of Object.entries(MODULUS_BYTES)) if (bytes === n) return Number(code);
  return undefined;
}

/** Signature algorithm (header tag 10): 0 = RSA PKCS#1 v1.5, the only value ever observed. */
export const SIGNATURE_ALGORITHM_RSA = 0;
