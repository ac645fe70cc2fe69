/**
 * The decoded form of ITL/CTL files and signed (.sgn) files.
 *
 * Layout (formats.md §1.2):
 * ```
 * [ header TLVs ........ (headerLength bytes, a multiple of 4) ][ record ][ record ] ... EOF
 * ```
 * A `.sgn` file has the same header followed by the untouched payload (formats.md §2).
 *
 * The typed fields say what the file means. {@link TrustListLayout} says how it was laid out
 * (element order, container lengths as declared, padding, unknown tags), so that a decoded
 * file re-encodes byte for byte even when it came from certutils or has odd container
 * lengths. A list without a layout is encoded in a canonical dialect (see `encode.ts`).
 */

export interface Version {
  major: number;
  minor: number;
}

/** Header fields (formats.md §1.3). Byte strings are views; names exclude the trailing NUL. */
export interface TrustListHeader {
  /** Tag 1. CUCM writes 1.2. */
  version: Version;
  /** Tag 2. Bytes from offset 0 to the first record, including signature and padding. */
  headerLength: number;
  /** Tag 28, written only by certutils. */
  signerVersion?: Version;
  /** Tag 4: subject of the signing certificate. */
  signerName: string;
  /** Tag 5: signer serial, unsigned big-endian magnitude. */
  signerSerial: Uint8Array;
  /** Tag 6: issuer of the signing certificate. */
  signerIssuer: string;
  /** Tag 8: digest id (1 SHA-1, 2 SHA-256, 3 SHA-512); kept raw so unknown ids survive. */
  digest: number;
  /** Tag 10: 0 = RSA PKCS#1 v1.5. */
  signatureAlgorithm: number;
  /** Tag 11: modulus-size code. */
  modulusCode: number;
  /** Tag 12: the RSA signature. */
  signature: Uint8Array;
  /** Tag 14: `ITLFile.tlv`, `CTLFile.tlv`, or the .sgn file's own name. */
  filename: string;
  /** Tag 15: Unix seconds. */
  timestamp: number;
}

/** One record (formats.md §1.4). Only the role is mandatory; placeholders carry no certificate. */
export interface TrustListRecord {
  /** Tag 4 (FUNCTION), u16 role code. */
  role: number;
  dnsName?: string;
  subject?: string;
  issuer?: string;
  serial?: Uint8Array;
  /** Tag 7: RSA PKCS#1 RSAPublicKey DER, or an X9.62 EC point. */
  publicKey?: Uint8Array;
  /** Tag 8: the certificate's own signatureValue. */
  signature?: Uint8Array;
  /** Tag 9: DER X.509 certificate. */
  certificate?: Uint8Array;
  /** Tag 10: IPv4 address, network order. */
  ipAddress?: Uint8Array;
  /** Tag 11 (certutils parser only; never observed). */
  certificateHash?: Uint8Array;
  /** Tag 12 (certutils parser only; never observed). */
  hashAlgorithm?: Uint8Array;
}

/** An element the codec has no field for, kept so that re-encoding loses nothing. */
export interface UnknownElement {
  tag: number;
  value: Uint8Array;
}

/** How a header was laid out: tags in the order met (13 once per padding byte). */
export interface HeaderLayout {
  order: number[];
  /** Declared lengths of containers 3, 7 and 9, which a file may get wrong. */
  containers: Partial<Record<3 | 7 | 9, number>>;
  unknown: UnknownElement[];
}

export interface RecordLayout {
  order: number[];
  unknown: UnknownElement[];
}

export interface TrustListLayout {
  header: HeaderLayout;
  records: RecordLayout[];
}

/** The two known ways of laying out a file (formats.md §1.3, §1.4). */
export type Dialect = 'cucm' | 'certutils';

export interface TrustList {
  header: TrustListHeader;
  records: TrustListRecord[];
  /** Present on decoded files; absent means "encode canonically in {@link dialect}". */
  layout?: TrustListLayout;
  /** Canonical dialect used when there is no layout (default `cucm`). */
  dialect?: Dialect;
}

/** A signed file: the trust-list header followed by the unmodified payload (formats.md §2). */
export interface SignedFile {
  header: TrustListHeader;
  payload: Uint8Array;
  layout?: { header: HeaderLayout };
}
