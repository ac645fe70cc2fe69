import { isUtf8 } from 'node:buffer';
import { DecodeError } from '../shared/errors.js';
import type { UnknownElement } from './model.js';
import { RecordTag as T } from './tags.js';

/**
 * The checking half of the record decoder: walks one record (formats.md §1.4), checks every
 * rule the decoder enforces, and notes where each known element's value lies, without
 * allocating values. `decodeRecord` materialises a record from a scan; the verifier scans every
 * record but materialises only SAST records, so both accept and refuse exactly the same bytes.
 *
 * Rules: the record opens with tag 1 of length 2 whose value (the record length) counts those
 * 5 bytes; every element fits inside the record; no known tag twice; FUNCTION (tag 4) present
 * and 2 bytes; names (tags 2, 3, 5) NUL-terminated UTF-8; IP address 4 or 16 bytes.
 *
 * @note The walk indexes the buffer directly rather than through `ByteReader` calls: it is the
 * inner loop of every ITL verification (10+ records × 10 elements), and an object per element
 * cost more than hashing the file. Every length is checked against the record end first.
 */

export const RECORD_LENGTH_ELEMENT = 5;
const SLOTS = T.HashAlgorithm + 1;

/** Where a record's known elements are: value offset and length per tag (-1 = absent). */
export class RecordScan {
  start = 0;
  end = 0;
  readonly valueAt = new Int32Array(SLOTS);
  readonly tagAt = new Int32Array(SLOTS);
  readonly length = new Int32Array(SLOTS);
  order: number[] | undefined;
  unknown: UnknownElement[] | undefined;

  has(tag: number): boolean {
    return this.valueAt[tag]! >= 0;
  }

  role(buf: Uint8Array): number {
    const at = this.valueAt[T.Function]!;
    return (buf[at]! << 8) | buf[at + 1]!;
  }
}

const STRING_TAGS = [T.DnsName, T.SubjectName, T.IssuerName] as const;
const STRING_NAMES: Record<number, string> = { [T.DnsName]: 'DNS name', [T.SubjectName]: 'subject name', [T.IssuerName]: 'issuer name' };

/**
 * Scans the record at `start` in `buf` (which ends at `limit`). With `layout`, also records the
 * element order and unknown elements. Reuses `scan` when given. Throws {@link DecodeError}.
 */
export function scanRecord(buf: Uint8Array, start: number, limit: number, layout: boolean, scan = new RecordScan()): RecordScan {
  const remaining = limit - start;
  if (remaining < RECORD_LENGTH_ELEMENT && (remaining <= 0 || buf[start] === T.RecordLength)) {
    throw new DecodeError('TRUNCATED', start, `a record needs at least ${RECORD_LENGTH_ELEMENT} bytes but ${Math.max(remaining, 0)} remain`);
  }
  const tag = buf[start]!;
  if (tag !== T.RecordLength) {
    throw new DecodeError('TLV_UNEXPECTED_TAG', start, `a record must start with tag 1 (RECORDLENGTH), found tag ${tag}`);
  }
  const lenOfLength = (buf[start + 1]! << 8) | buf[start + 2]!;
  if (lenOfLength !== 2) throw new DecodeError('TLV_BAD_LENGTH', start, `record length (tag 1) must be 2 bytes, found ${lenOfLength}`);
  const recordLength = (buf[start + 3]! << 8) | buf[start + 4]!;
  if (recordLength < RECORD_LENGTH_ELEMENT) {
    throw new DecodeError('TRUSTLIST_RECORD_LENGTH', start, `record length ${recordLength} is smaller than its own 5-byte length element`);
  }
  if (recordLength > remaining) {
    throw new DecodeError('TRUNCATED', start, `record declares ${recordLength} bytes but only ${remaining} remain`);
  }
  const end = start + recordLength;
  scan.start = start;
  scan.end = end;
  scan.valueAt.fill(-1);
  scan.order = layout ? [T.RecordLength] : undefined;
  scan.unknown = layout ? [] : undefined;
  let p = start + RECORD_LENGTH_ELEMENT;
  while (p < end) {
    const t = buf[p]!;
    if (end - p < 3) throw new DecodeError('TRUSTLIST_RECORD_LENGTH', p, `tag ${t} has no room for its length before the record ends`);
    const len = (buf[p + 1]! << 8) | buf[p + 2]!;
    if (p + 3 + len > end) {
      throw new DecodeError('TRUSTLIST_RECORD_LENGTH', p, `tag ${t} declares ${len} bytes, past the end of its record (${end - p - 3} bytes left)`);
    }
    if (t === T.RecordLength) throw new DecodeError('TLV_DUPLICATE_TAG', p, 'record tag 1 appears twice');
    scan.order?.push(t);
    if (t === 0 || t >= SLOTS) {
      scan.unknown?.push({ tag: t, value: buf.subarray(p + 3, p + 3 + len) });
    } else {
      if (scan.valueAt[t]! >= 0) throw new DecodeError('TLV_DUPLICATE_TAG', p, `record tag ${t} appears twice`);
      scan.valueAt[t] = p + 3;
      scan.tagAt[t] = p;
      scan.length[t] = len;
    }
    p += 3 + len;
  }
  if (scan.valueAt[T.Function]! < 0) throw new DecodeError('TRUSTLIST_MISSING_TAG', start, 'record has no FUNCTION (tag 4)');
  if (scan.length[T.Function] !== 2) {
    throw new DecodeError('TLV_BAD_LENGTH', scan.tagAt[T.Function]!, `function (tag 4) must be 2 bytes, found ${scan.length[T.Function]}`);
  }
  for (const t of STRING_TAGS) if (scan.valueAt[t]! >= 0) checkString(buf, scan, t);
  if (scan.valueAt[T.IpAddress]! >= 0 && scan.length[T.IpAddress] !== 4 && scan.length[T.IpAddress] !== 16) {
    throw new DecodeError('TLV_BAD_LENGTH', scan.tagAt[T.IpAddress]!, `IP address (tag 10) must be 4 or 16 bytes, found ${scan.length[T.IpAddress]}`);
  }
  return scan;
}

function checkString(buf: Uint8Array, scan: RecordScan, t: number): void {
  const at = scan.valueAt[t]!;
  const n = scan.length[t]!;
  if (n === 0 || buf[at + n - 1] !== 0) {
    throw new DecodeError('TLV_BAD_STRING', scan.tagAt[t]!, `${STRING_NAMES[t]} (tag ${t}) is not NUL-terminated`);
  }
  let ascii = true;
  for (let i = at, e = at + n - 1; i < e; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii && !isUtf8(buf.subarray(at, at + n - 1))) {
    throw new DecodeError('TLV_BAD_STRING', scan.tagAt[t]!, `${STRING_NAMES[t]} (tag ${t}) is not valid UTF-8`);
  }
}
