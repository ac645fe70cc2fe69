import { ByteWriter } from '../bytes/index.js';
import { DecodeError, EmulatorError } from '../shared/errors.js';
import { MAX_RECORDS, MAX_TRUSTLIST_BYTES } from './constants.js';
import { decodeHeader, encodeHeader, encodedLengthHeader } from './header.js';
import type { RecordLayout, TrustList, TrustListHeader, TrustListRecord } from './model.js';
import { RecordScan, scanRecord } from './record-scan.js';
import { Role } from './tags.js';
import { encodeRecord, encodedLengthRecord, recordFromScan } from './record.js';

/**
 * ITL/CTL file codec: a header, then records to the end of the file (formats.md §1.2; there
 * is no record count and no trailer). `encodeTrustList(decodeTrustList(b))` gives back `b`
 * byte for byte; the real CUCM CTL and the certutils ITL in `../shared/samples` prove it.
 */

export interface ParsedTrustList {
  list: TrustList & { layout: NonNullable<TrustList['layout']> };
  /** Absolute offset of the signature element, for computing the signed bytes. */
  signatureOffset: number;
  /** Absolute offset of each record. */
  recordOffsets: number[];
}

export interface DecodeLimits {
  maxBytes?: number;
  maxRecords?: number;
}

function checkSize(bytes: Uint8Array, limits: DecodeLimits): void {
  const maxBytes = limits.maxBytes ?? MAX_TRUSTLIST_BYTES;
  if (bytes.length > maxBytes) {
    throw new DecodeError('TRUSTLIST_TOO_LARGE', maxBytes, `file of ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`);
  }
}

/**
 * Walks the records after the header, checking each (see `record-scan.ts`) and enforcing the
 * record cap. With `layout` false one scan object is reused, so nothing is allocated per record
 * unless `visit` asks for it.
 */
export function scanRecords(bytes: Uint8Array, headerLength: number, limits: DecodeLimits, layout: boolean, visit: (scan: RecordScan, index: number) => void): void {
  const maxRecords = limits.maxRecords ?? MAX_RECORDS;
  const reused = layout ? undefined : new RecordScan();
  let p = headerLength;
  let index = 0;
  while (p < bytes.length) {
    if (index >= maxRecords) throw new DecodeError('TRUSTLIST_TOO_MANY_RECORDS', p, `more than ${maxRecords} records`);
    const scan = scanRecord(bytes, p, bytes.length, layout, reused);
    visit(scan, index++);
    p = scan.end;
  }
}

/** Decodes and keeps the offsets a verifier needs. Throws {@link DecodeError} on bad input. */
export function parseTrustList(bytes: Uint8Array, limits: DecodeLimits = {}): ParsedTrustList {
  checkSize(bytes, limits);
  const { header, layout, signatureOffset } = decodeHeader(bytes);
  const records: TrustListRecord[] = [];
  const recordLayouts: RecordLayout[] = [];
  const recordOffsets: number[] = [];
  scanRecords(bytes, header.headerLength, limits, true, (scan) => {
    recordOffsets.push(scan.start);
    records.push(recordFromScan(bytes, scan));
    recordLayouts.push({ order: scan.order!, unknown: scan.unknown! });
  });
  return { list: { header, records, layout: { header: layout, records: recordLayouts } }, signatureOffset, recordOffsets };
}

/**
 * The header and only the SAST records (by index; other slots empty), after checking the whole
 * file exactly as {@link parseTrustList} does. This is what signature verification needs, and
 * it skips building the records nobody looks at.
 */
export function parseForVerification(bytes: Uint8Array, limits: DecodeLimits = {}): { header: TrustListHeader; signatureOffset: number; records: Array<TrustListRecord | undefined> } {
  checkSize(bytes, limits);
  const { header, signatureOffset } = decodeHeader(bytes);
  const records: Array<TrustListRecord | undefined> = [];
  scanRecords(bytes, header.headerLength, limits, false, (scan, index) => {
    records[index] = scan.role(bytes) === Role.SAST ? recordFromScan(bytes, scan) : undefined;
  });
  return { header, signatureOffset, records };
}

/** Decodes an ITL or CTL file. */
export function decodeTrustList(bytes: Uint8Array, limits?: DecodeLimits): TrustList {
  return parseTrustList(bytes, limits).list;
}

export interface EncodedTrustList {
  bytes: Uint8Array;
  signatureOffset: number;
}

/** Encodes with offsets (used by the signer to place the signature). */
export function encodeTrustListWithOffsets(list: TrustList): EncodedTrustList {
  const layout = list.layout;
  if (layout && layout.records.length !== list.records.length) {
    throw new EmulatorError('INVALID_ARGUMENT', `layout describes ${layout.records.length} records but the list has ${list.records.length}`);
  }
  // Measured first, so the bytes are written once into an exactly-sized buffer and handed over
  // without a copy (a fifth of an encode went to zero-filling a guess and copying out of it).
  const w = new ByteWriter(encodedLengthTrustList(list));
  const { signatureOffset } = encodeHeader(w, list.header, layout?.header, list.dialect);
  list.records.forEach((rec, i) => encodeRecord(w, rec, layout?.records[i], list.dialect));
  return { bytes: w.take(), signatureOffset };
}

/** Encodes an ITL or CTL file. */
export function encodeTrustList(list: TrustList): Uint8Array {
  return encodeTrustListWithOffsets(list).bytes;
}

/** Byte length {@link encodeTrustList} would produce, computed without encoding. */
export function encodedLengthTrustList(list: TrustList): number {
  let n = encodedLengthHeader(list.header, list.layout?.header, list.dialect);
  list.records.forEach((r, i) => (n += encodedLengthRecord(r, list.layout?.records[i], list.dialect)));
  return n;
}
