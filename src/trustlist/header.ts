import { ByteReader, ByteWriter } from '../bytes/index.js';
import { DecodeError, EmulatorError } from '../shared/errors.js';
import { PADDING_BYTE } from './constants.js';
import type { Dialect, HeaderLayout, TrustListHeader, UnknownElement, Version } from './model.js';
import { CONTAINER_TAGS, HeaderTag as T } from './tags.js';
import { expectLength, readValue, stringOf, u16Of, u32Of, u32Value, u8Value, versionValue, writeElement, encodeString, type Element } from './tlv.js';

/**
 * Header codec (formats.md §1.3). The walk follows what phones and certutils do: read tag 1
 * and tag 2 first, then walk TLVs until the offset equals the declared header length, stepping
 * *into* containers 3/7/9 and treating tag 13 as a lone padding byte. Other tags may come in
 * any order; unknown tags (28 aside, e.g. the `.enc.sgn` tags 16–27) are kept, not refused.
 *
 * CUCM order (gigantic CTL):  1, 2, 3{4, 5, 6}, 7{8, 9{10, 11}}, 12, 14, 15, 13…
 * certutils order (csp ITL):  1, 2, 28, 3{4, 6, 5}, 7{8, 9{10, 11}}, 12, 14, 15, 13…
 */

export interface DecodedHeader {
  header: TrustListHeader;
  layout: HeaderLayout;
  /** Absolute offset of the signature element (tag 12). */
  signatureOffset: number;
}

/** Tags nested in each container, for computing container lengths. */
const CONTAINER_MEMBERS: Readonly<Record<number, readonly number[]>> = {
  [T.SignerId]: [T.SignerName, T.SerialNumber, T.CaName],
  [T.SignatureInfo]: [T.DigestAlgorithm, T.SignatureAlgoInfo, T.SignatureAlgorithm, T.SignatureModulus],
  [T.SignatureAlgoInfo]: [T.SignatureAlgorithm, T.SignatureModulus],
};

const REQUIRED: readonly number[] = [T.SignerName, T.SerialNumber, T.CaName, T.DigestAlgorithm, T.SignatureAlgorithm, T.SignatureModulus, T.Signature, T.Filename, T.Timestamp];

/** Smallest header that can hold tags 1 and 2. */
const MIN_HEADER = 10;

/** Decodes the header at the start of `bytes`. Throws {@link DecodeError} on malformed input. */
export function decodeHeader(bytes: Uint8Array): DecodedHeader {
  const r = new ByteReader(bytes);
  const version = fixedFirst(r, T.Version, 'version');
  const lengthEl = fixedFirst(r, T.HeaderLength, 'header length');
  const headerLength = u16Of(lengthEl);
  if (headerLength < MIN_HEADER) {
    throw new DecodeError('TRUSTLIST_HEADER_LENGTH', lengthEl.offset, `header length ${headerLength} is smaller than the ${MIN_HEADER} bytes of tags 1 and 2`);
  }
  if (headerLength > bytes.length) {
    throw new DecodeError('TRUNCATED', bytes.length, `header length is ${headerLength} but the input has only ${bytes.length} bytes`);
  }

  const hr = new ByteReader(bytes, r.position, headerLength);
  const order: number[] = [T.Version, T.HeaderLength];
  const containers: HeaderLayout['containers'] = {};
  const unknown: UnknownElement[] = [];
  const seen: Array<Element | undefined> = new Array(SLOT_COUNT);
  while (hr.remaining > 0) {
    const offset = hr.position;
    const tag = hr.u8();
    if (tag === T.Padding) {
      order.push(tag);
      continue;
    }
    if (hr.remaining < 2) {
      throw new DecodeError('TRUSTLIST_HEADER_OVERRUN', offset, `tag ${tag} has no room for its length before the header ends`);
    }
    if (tag === T.SignerId || tag === T.SignatureInfo || tag === T.SignatureAlgoInfo) {
      if (tag in containers) throw duplicate(tag, offset);
      containers[tag as 3 | 7 | 9] = hr.u16(`length of container ${tag}`);
      order.push(tag);
      continue;
    }
    const e = readValue(hr, tag, offset, 'TRUSTLIST_HEADER_OVERRUN');
    order.push(tag);
    if (!isKnownHeaderTag(tag)) {
      unknown.push({ tag, value: e.value });
      continue;
    }
    if (seen[tag]) throw duplicate(tag, offset);
    seen[tag] = e;
  }
  for (const tag of REQUIRED) {
    if (!seen[tag]) throw new DecodeError('TRUSTLIST_MISSING_TAG', headerLength, `header has no tag ${tag}`);
  }
  const get = (tag: number): Element => seen[tag]!;
  const one = (tag: number, what: string): number => {
    const e = get(tag);
    expectLength(e, 1, what);
    return e.value[0]!;
  };
  const ts = get(T.Timestamp);
  expectLength(ts, 4, 'timestamp');
  const signerVersion = seen[T.SignerVersion];
  const header: TrustListHeader = {
    version: versionOf(version),
    headerLength,
    signerName: stringOf(get(T.SignerName), 'signer name'),
    signerSerial: get(T.SerialNumber).value,
    signerIssuer: stringOf(get(T.CaName), 'CA name'),
    digest: one(T.DigestAlgorithm, 'digest algorithm'),
    signatureAlgorithm: one(T.SignatureAlgorithm, 'signature algorithm'),
    modulusCode: one(T.SignatureModulus, 'signature modulus'),
    signature: get(T.Signature).value,
    filename: stringOf(get(T.Filename), 'filename'),
    timestamp: u32Of(ts),
  };
  if (signerVersion) header.signerVersion = versionOf(signerVersion);
  return { header, layout: { order, containers, unknown }, signatureOffset: get(T.Signature).offset };
}

function fixedFirst(r: ByteReader, tag: number, what: string): Element {
  const offset = r.position;
  const got = r.u8(what);
  if (got !== tag) throw new DecodeError('TLV_UNEXPECTED_TAG', offset, `expected tag ${tag} (${what}) here, found tag ${got}`);
  const e = readValue(r, tag, offset, 'TRUSTLIST_HEADER_OVERRUN');
  expectLength(e, 2, what);
  return e;
}

function versionOf(e: Element): Version {
  expectLength(e, 2, 'version');
  return { major: e.value[0]!, minor: e.value[1]! };
}

function duplicate(tag: number, offset: number): DecodeError {
  return new DecodeError('TLV_DUPLICATE_TAG', offset, `header tag ${tag} appears twice`);
}

const KNOWN_HEADER_TAGS = new Set<number>(Object.values(T));
const SLOT_COUNT = Math.max(...KNOWN_HEADER_TAGS) + 1;
const KNOWN_TABLE = new Uint8Array(256);
for (const t of KNOWN_HEADER_TAGS) KNOWN_TABLE[t] = 1;
function isKnownHeaderTag(tag: number): boolean {
  return KNOWN_TABLE[tag] === 1;
}

const CANONICAL_ORDER: Readonly<Record<Dialect, readonly number[]>> = {
  cucm: [T.Version, T.HeaderLength, T.SignerVersion, T.SignerId, T.SignerName, T.SerialNumber, T.CaName, T.SignatureInfo, T.DigestAlgorithm, T.SignatureAlgoInfo, T.SignatureAlgorithm, T.SignatureModulus, T.Signature, T.Filename, T.Timestamp],
  certutils: [T.Version, T.HeaderLength, T.SignerVersion, T.SignerId, T.SignerName, T.CaName, T.SerialNumber, T.SignatureInfo, T.DigestAlgorithm, T.SignatureAlgoInfo, T.SignatureAlgorithm, T.SignatureModulus, T.Signature, T.Filename, T.Timestamp],
};

/** Value bytes of a known, non-container header tag, or `undefined` if the header lacks it. */
function valueOf(h: TrustListHeader, tag: number): Uint8Array | undefined {
  switch (tag) {
    case T.Version: return versionValue(h.version);
    case T.SignerVersion: return h.signerVersion && versionValue(h.signerVersion);
    case T.SignerName: return encodeString(h.signerName);
    case T.SerialNumber: return h.signerSerial;
    case T.CaName: return encodeString(h.signerIssuer);
    case T.DigestAlgorithm: return u8Value(h.digest);
    case T.SignatureAlgorithm: return u8Value(h.signatureAlgorithm);
    case T.SignatureModulus: return u8Value(h.modulusCode);
    case T.Signature: return h.signature;
    case T.Filename: return encodeString(h.filename);
    case T.Timestamp: return u32Value(h.timestamp);
    default: return undefined;
  }
}

export interface EncodedHeader {
  /** Offset of the signature element (tag 12) in the written header. */
  signatureOffset: number;
  /** The header length written into tag 2 (= bytes written by this call). */
  headerLength: number;
}

/**
 * Writes a header. With a `layout`, elements, padding and declared container lengths follow it
 * exactly; without one, the canonical `dialect` order is used, container lengths are computed,
 * and 0x0D padding brings the header to a multiple of 4 (formats.md §1.9). The header length
 * in tag 2 is always the number of bytes actually written, so a decoded header re-encodes to
 * its original bytes.
 */
export function encodeHeader(w: ByteWriter, h: TrustListHeader, layout?: HeaderLayout, dialect: Dialect = 'cucm'): EncodedHeader {
  const start = w.length;
  const order = layout?.order ?? CANONICAL_ORDER[dialect];
  const values = new Map<number, Uint8Array>();
  for (const tag of order) {
    const v = valueOf(h, tag);
    if (v) values.set(tag, v);
  }
  const unknownQueue = [...(layout?.unknown ?? [])];
  let lengthAt = -1;
  let signatureOffset = -1;
  for (const tag of order) {
    if (tag === T.Padding) {
      w.u8(PADDING_BYTE);
    } else if (tag === T.HeaderLength) {
      w.u8(tag).u16(2);
      lengthAt = w.reserve(2);
    } else if (CONTAINER_TAGS.has(tag)) {
      const declared = layout?.containers[tag as 3 | 7 | 9];
      w.u8(tag).u16(declared ?? containerLength(tag, values));
    } else if (values.has(tag)) {
      if (tag === T.Signature) signatureOffset = w.length;
      writeElement(w, tag, values.get(tag)!);
    } else if (!KNOWN_HEADER_TAGS.has(tag)) {
      const i = unknownQueue.findIndex((u) => u.tag === tag);
      if (i >= 0) writeElement(w, tag, unknownQueue.splice(i, 1)[0]!.value);
    }
  }
  if (!layout) while ((w.length - start) % 4 !== 0) w.u8(PADDING_BYTE);
  const headerLength = w.length - start;
  if (headerLength > 0xffff) {
    throw new EmulatorError('TLV_VALUE_TOO_LONG', `header of ${headerLength} bytes does not fit the 16-bit header length`);
  }
  if (lengthAt >= 0) w.patchU16(lengthAt, headerLength);
  return { signatureOffset: signatureOffset - start, headerLength };
}

/** The lengths containers 3, 7 and 9 must declare for this header's nested elements. */
export function containerLengthsOf(h: TrustListHeader): Record<3 | 7 | 9, number> {
  const values = new Map<number, Uint8Array>();
  for (const tag of KNOWN_HEADER_TAGS) {
    const v = valueOf(h, tag);
    if (v) values.set(tag, v);
  }
  return { 3: containerLength(3, values), 7: containerLength(7, values), 9: containerLength(9, values) };
}

function containerLength(tag: number, values: Map<number, Uint8Array>): number {
  let n = 0;
  for (const member of CONTAINER_MEMBERS[tag] ?? []) {
    if (CONTAINER_TAGS.has(member)) n += 3;
    else {
      const v = values.get(member);
      if (v) n += 3 + v.length;
    }
  }
  return n;
}

/** Byte length {@link encodeHeader} writes for this header and layout. */
export function encodedLengthHeader(h: TrustListHeader, layout?: HeaderLayout, dialect: Dialect = 'cucm'): number {
  let n = 0;
  const unknown = [...(layout?.unknown ?? [])];
  for (const tag of layout?.order ?? CANONICAL_ORDER[dialect]) {
    if (tag === T.Padding) n += 1;
    else if (tag === T.HeaderLength || CONTAINER_TAGS.has(tag)) n += tag === T.HeaderLength ? 5 : 3;
    else if (KNOWN_HEADER_TAGS.has(tag)) {
      const v = valueOf(h, tag);
      if (v) n += 3 + v.length;
    } else {
      const i = unknown.findIndex((u) => u.tag === tag);
      if (i >= 0) n += 3 + unknown.splice(i, 1)[0]!.value.length;
    }
  }
  return layout ? n : n + ((4 - (n % 4)) % 4);
}

/** Encodes a header on its own (no records or payload). */
export function encodeHeaderBytes(h: TrustListHeader, layout?: HeaderLayout, dialect: Dialect = 'cucm'): Uint8Array {
  const w = new ByteWriter(512);
  encodeHeader(w, h, layout, dialect);
  return w.finish();
}
