import { ByteReader, ByteWriter } from '../bytes/index.js';
import { EmulatorError } from '../shared/errors.js';
import type { Dialect, RecordLayout, TrustListRecord, UnknownElement } from './model.js';
import { RecordTag as T } from './tags.js';
import { encodeString, u16Value, writeElement } from './tlv.js';
import { RecordScan, scanRecord } from './record-scan.js';

/**
 * Record codec (formats.md §1.4). A record opens with tag 1, whose u16 value is the length of
 * the whole record *including* that 5-byte element. CUCM writes tags 1–10 in order; certutils
 * writes 1, 3, 5, 6, 4, 7, 8, 9 with no DNS name or IP; placeholder records (TAC 118892) carry
 * only 1, 2, 4, 10. Unknown tags are kept; a known tag twice is refused.
 *
 * ```
 * 01 | 0002 | <record length>   02 DNSNAME   03 SUBJECTNAME   04 | 0002 | FUNCTION
 * 05 ISSUERNAME   06 SERIALNUMBER   07 PUBLICKEY   08 SIGNATURE   09 CERTIFICATE   0A IPADDRESS
 * ```
 */

export interface DecodedRecord {
  record: TrustListRecord;
  layout: RecordLayout;
}

const utf8 = new TextDecoder('utf-8');

/** Builds the record a scan describes (its strings are already checked). */
export function recordFromScan(buf: Uint8Array, scan: RecordScan): TrustListRecord {
  const view = (t: number): Uint8Array => buf.subarray(scan.valueAt[t]!, scan.valueAt[t]! + scan.length[t]!);
  const text = (t: number): string => utf8.decode(buf.subarray(scan.valueAt[t]!, scan.valueAt[t]! + scan.length[t]! - 1));
  const record: TrustListRecord = { role: scan.role(buf) };
  if (scan.has(T.DnsName)) record.dnsName = text(T.DnsName);
  if (scan.has(T.SubjectName)) record.subject = text(T.SubjectName);
  if (scan.has(T.IssuerName)) record.issuer = text(T.IssuerName);
  if (scan.has(T.SerialNumber)) record.serial = view(T.SerialNumber);
  if (scan.has(T.PublicKey)) record.publicKey = view(T.PublicKey);
  if (scan.has(T.Signature)) record.signature = view(T.Signature);
  if (scan.has(T.Certificate)) record.certificate = view(T.Certificate);
  if (scan.has(T.IpAddress)) record.ipAddress = view(T.IpAddress);
  if (scan.has(T.CertificateHash)) record.certificateHash = view(T.CertificateHash);
  if (scan.has(T.HashAlgorithm)) record.hashAlgorithm = view(T.HashAlgorithm);
  return record;
}

/** Decodes the record starting at `r.position`, leaving `r` after it. */
export function decodeRecord(r: ByteReader): DecodedRecord {
  const scan = scanRecord(r.buffer, r.position, r.end, true);
  r.skip(scan.end - scan.start);
  return { record: recordFromScan(r.buffer, scan), layout: { order: scan.order!, unknown: scan.unknown! } };
}

const CANONICAL_ORDER: Readonly<Record<Dialect, readonly number[]>> = {
  cucm: [T.RecordLength, T.DnsName, T.SubjectName, T.Function, T.IssuerName, T.SerialNumber, T.PublicKey, T.Signature, T.Certificate, T.IpAddress, T.CertificateHash, T.HashAlgorithm],
  certutils: [T.RecordLength, T.SubjectName, T.IssuerName, T.SerialNumber, T.Function, T.PublicKey, T.Signature, T.Certificate, T.DnsName, T.IpAddress, T.CertificateHash, T.HashAlgorithm],
};

function valueOf(rec: TrustListRecord, tag: number): Uint8Array | undefined {
  switch (tag) {
    case T.DnsName: return rec.dnsName === undefined ? undefined : encodeString(rec.dnsName);
    case T.SubjectName: return rec.subject === undefined ? undefined : encodeString(rec.subject);
    case T.Function: return u16Value(rec.role);
    case T.IssuerName: return rec.issuer === undefined ? undefined : encodeString(rec.issuer);
    case T.SerialNumber: return rec.serial;
    case T.PublicKey: return rec.publicKey;
    case T.Signature: return rec.signature;
    case T.Certificate: return rec.certificate;
    case T.IpAddress: return rec.ipAddress;
    case T.CertificateHash: return rec.certificateHash;
    case T.HashAlgorithm: return rec.hashAlgorithm;
    default: return undefined;
  }
}

/**
 * Writes one record: in `layout` order when given (unknown tags included), else in the
 * dialect's canonical order with absent fields skipped. RECORDLENGTH counts itself.
 */
export function encodeRecord(w: ByteWriter, rec: TrustListRecord, layout?: RecordLayout, dialect: Dialect = 'cucm'): void {
  if (!Number.isInteger(rec.role) || rec.role < 0 || rec.role > 0xffff) {
    throw new EmulatorError('INVALID_ARGUMENT', `record role ${rec.role} is not a u16`);
  }
  const start = w.length;
  const unknownQueue = [...(layout?.unknown ?? [])];
  let lengthAt = -1;
  for (const tag of layout?.order ?? CANONICAL_ORDER[dialect]) {
    if (tag === T.RecordLength) {
      w.u8(tag).u16(2);
      lengthAt = w.reserve(2);
      continue;
    }
    const v = valueOf(rec, tag);
    if (v) {
      writeElement(w, tag, v);
    } else if (layout) {
      const i = unknownQueue.findIndex((u) => u.tag === tag);
      if (i >= 0) writeElement(w, tag, unknownQueue.splice(i, 1)[0]!.value);
    }
  }
  if (lengthAt < 0) throw new EmulatorError('INVALID_ARGUMENT', 'a record layout must include tag 1 (RECORDLENGTH)');
  const length = w.length - start;
  if (length > 0xffff) throw new EmulatorError('TLV_VALUE_TOO_LONG', `record of ${length} bytes does not fit the 16-bit record length`);
  w.patchU16(lengthAt, length);
}

/** Byte length {@link encodeRecord} writes for this record and layout. */
export function encodedLengthRecord(rec: TrustListRecord, layout?: RecordLayout, dialect: Dialect = 'cucm'): number {
  let n = 0;
  const unknown = [...(layout?.unknown ?? [])];
  for (const tag of layout?.order ?? CANONICAL_ORDER[dialect]) {
    if (tag === T.RecordLength) {
      n += 5;
      continue;
    }
    const v = valueOf(rec, tag);
    if (v) n += 3 + v.length;
    else if (layout) {
      const i = unknown.findIndex((u) => u.tag === tag);
      if (i >= 0) n += 3 + unknown.splice(i, 1)[0]!.value.length;
    }
  }
  return n;
}

/** Encodes a record on its own. */
export function encodeRecordBytes(rec: TrustListRecord, layout?: RecordLayout, dialect: Dialect = 'cucm'): Uint8Array {
  const w = new ByteWriter(1024);
  encodeRecord(w, rec, layout, dialect);
  return w.finish();
}
