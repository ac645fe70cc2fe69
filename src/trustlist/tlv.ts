import type { ByteReader, ByteWriter } from '../bytes/index.js';
import { DecodeError, EmulatorError } from '../shared/errors.js';

/**
 * The TLV element: `tag u8 | length u16be | value` (formats.md §1.1). This module holds
 * the element-level pieces every trust-list structure shares: reading one element inside a
 * window, value checks, and NUL-terminated strings.
 */
export interface Element {
  tag: number;
  /** Absolute offset of the tag byte. */
  offset: number;
  value: Uint8Array;
}

export const ELEMENT_OVERHEAD = 3;
export const MAX_VALUE_LENGTH = 0xffff;

/**
 * Reads the 2-byte length after a tag already consumed at `offset`, then the value. A value
 * that would run past the reader's window is reported with `overrunCode` (the window is a
 * header or a record, whose own length the element contradicts) unless the input itself is
 * shorter, which is plain truncation.
 */
export function readValue(r: ByteReader, tag: number, offset: number, overrunCode: 'TRUSTLIST_HEADER_OVERRUN' | 'TRUSTLIST_RECORD_LENGTH'): Element {
  const length = r.u16(`length of tag ${tag}`);
  if (length > r.remaining) {
    if (r.position + length > r.buffer.length) {
      throw new DecodeError('TRUNCATED', offset, `tag ${tag} declares ${length} bytes but the input ends ${r.buffer.length - r.position} bytes later`);
    }
    throw new DecodeError(overrunCode, offset, `tag ${tag} declares ${length} bytes, past the end of its ${overrunCode === 'TRUSTLIST_HEADER_OVERRUN' ? 'header' : 'record'} (${r.remaining} bytes left)`);
  }
  return { tag, offset, value: r.bytes(length) };
}

/** Throws `TLV_BAD_LENGTH` unless the element's value has exactly `n` bytes. */
export function expectLength(e: Element, n: number, what: string): void {
  if (e.value.length !== n) {
    throw new DecodeError('TLV_BAD_LENGTH', e.offset, `${what} (tag ${e.tag}) must be ${n} bytes, found ${e.value.length}`);
  }
}

export function u16Of(e: Element): number {
  return (e.value[0]! << 8) | e.value[1]!;
}

export function u32Of(e: Element): number {
  return ((e.value[0]! << 24) >>> 0) + (e.value[1]! << 16) + (e.value[2]! << 8) + e.value[3]!;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** A NUL-terminated UTF-8 string; the NUL is counted in the length (formats.md §1.1). */
export function stringOf(e: Element, what: string): string {
  const v = e.value;
  const n = v.length - 1;
  if (n < 0 || v[n] !== 0) {
    throw new DecodeError('TLV_BAD_STRING', e.offset, `${what} (tag ${e.tag}) is not NUL-terminated`);
  }
  try {
    return utf8.decode(v.subarray(0, n));
  } catch (cause) {
    throw new DecodeError('TLV_BAD_STRING', e.offset, `${what} (tag ${e.tag}) is not valid UTF-8`, { cause });
  }
}

/**
 * Encoded strings, shared: trust lists repeat the same few names (subjects, issuers, host names)
 * in every record and every file, and the fuzz loop re-encodes them thousands of times a second
 * (issue 17 §5). Callers only read the bytes (`writeElement` copies them). Bounded; a miss only
 * costs an encode.
 */
const encodedStrings = new Map<string, Uint8Array>();

export function encodeString(s: string): Uint8Array {
  const hit = encodedStrings.get(s);
  if (hit) return hit;
  const body = utf8Encoder.encode(s);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  if (encodedStrings.size >= 4096) encodedStrings.clear();
  encodedStrings.set(s, out);
  return out;
}

/** Writes one element; refuses values longer than the 16-bit length can say. */
export function writeElement(w: ByteWriter, tag: number, value: Uint8Array): void {
  if (value.length > MAX_VALUE_LENGTH) {
    throw new EmulatorError('TLV_VALUE_TOO_LONG', `tag ${tag} value of ${value.length} bytes exceeds ${MAX_VALUE_LENGTH}`);
  }
  w.u8(tag).u16(value.length).bytes(value);
}

export function u8Value(v: number): Uint8Array {
  return Uint8Array.of(v);
}

export function u16Value(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

export function u32Value(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function versionValue(v: { major: number; minor: number }): Uint8Array {
  return Uint8Array.of(v.major, v.minor);
}
